// Run Lighthouse on one page after another in one headless Chromium, for ../lighthouse.py.
//
//   node run.mjs PREFIX MEASURES CHROMIUM [FLAG...]
//
// PREFIX is the folder Lighthouse is installed in (npm's --prefix: prerequisites.lighthouse),
// MEASURES {"categories": [...], "metrics": [...]}, the ids lighthouse.py reads (said there
// once), CHROMIUM the browser, each FLAG one of its command-line flags. Each line read from stdin is
// one run, {"url": ..., "profile": "mobile" | "desktop"}; each is answered, in turn, by one
// line on stdout: the run's url and profile, its four category scores (0-100, rounded as
// Lighthouse shows them), its metrics (milliseconds; layout shift unitless; weight in bytes)
// and the audits that cost a category points, or an "error". Runs never overlap: two at once
// would compete for the CPU and skew each other's scores. Chromium stops when stdin closes.

import { resolve } from "node:path";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

// stdout carries the answers only: anything a package prints goes to stderr.
console.log = console.error;
const answer = (result) => process.stdout.write(`${JSON.stringify(result)}\n`);

const [prefix, measures, chromePath, ...chromeFlags] = process.argv.slice(2);
const { categories: CATEGORIES, metrics: METRICS } = JSON.parse(measures);
// The script lives outside the install: each package is found from PREFIX.
const installed = createRequire(resolve(prefix, "package.json"));
const load = async (name) => import(pathToFileURL(installed.resolve(name)).href);
const {
  default: lighthouse,
  defaultConfig: defaults,
  desktopConfig: desktop,
} = await load("lighthouse");
const { launch } = await load("chrome-launcher");

// A run skips what no score and no metric asked for depends on: the full-page
// screenshot, and every audit that weighs nothing in the four scores (the
// opportunities and diagnostics of performance, the report's filmstrip, manual
// checks), with the artifacts only they need. Measured on three pages of the
// guide, both profiles, 12 runs each: 8.0 s a run with nothing skipped, 6.4 s
// without the full-page screenshot (the filmstrip's two audits alone save
// nothing measurable), 5.7 s without every unweighted audit as well. Most of
// the rest is Lighthouse's own: loading the page and waiting for it to settle
// (2.6 s), a CPU benchmark (1 s), axe (0.8 s). The waits for the page to
// settle are a second each by default (after the first paint, after the load
// event, for the network and the CPU to go quiet), meant for pages that keep
// loading; the guide's pages are static and their scripts deferred, and 250 ms
// gave the same scores and metrics on six runs (three pages, both profiles)
// in 31.5 s instead of 40.3 s, Chromium's start included. Lighthouse's
// about:blank before each page is skipped too.
const auditRefs = CATEGORIES.flatMap((id) => defaults.categories[id].auditRefs);
const weighed = new Set(auditRefs.filter((ref) => ref.weight > 0).map((ref) => ref.id));
const SETTINGS = {
  onlyCategories: CATEGORIES,
  skipAudits: [...new Set(auditRefs.map((ref) => ref.id))].filter(
    (id) => !weighed.has(id) && !METRICS.includes(id),
  ),
  disableFullPageScreenshot: true,
  pauseAfterFcpMs: 250,
  pauseAfterLoadMs: 250,
  networkQuietThresholdMs: 250,
  cpuQuietThresholdMs: 250,
  skipAboutBlank: true,
};
const PROFILES = {
  // Lighthouse's default: a mid-range phone on a slow 4G network (simulated).
  mobile: { extends: "lighthouse:default", settings: SETTINGS },
  desktop: { ...desktop, settings: { ...desktop.settings, ...SETTINGS } },
};

function summarise(lhr) {
  const result = {};
  for (const id of CATEGORIES) {
    const { score } = lhr.categories[id];
    result[id] = score === null ? null : Math.round(score * 100);
  }
  for (const id of METRICS) result[id] = lhr.audits[id].numericValue ?? null;
  // The audits that cost points in the categories scored pass/fail (not performance's
  // opportunities): what to fix when one is below 100.
  result.failing = CATEGORIES.slice(1).flatMap((id) =>
    lhr.categories[id].auditRefs
      .filter((ref) => ref.weight > 0)
      .filter((ref) => lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
      .map((ref) => `${id}: ${ref.id}`),
  );
  return result;
}

const chrome = await launch({ chromePath, chromeFlags, logLevel: "silent" });
try {
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const { url, profile } = JSON.parse(line);
    const run = { url, profile };
    try {
      const flags = { port: chrome.port, logLevel: "error", output: "json" };
      const { lhr } = await lighthouse(url, flags, PROFILES[profile]);
      if (lhr.runtimeError) {
        answer({ ...run, error: `${lhr.runtimeError.code}: ${lhr.runtimeError.message}` });
      } else {
        answer({ ...run, ...summarise(lhr) });
      }
    } catch (error) {
      answer({ ...run, error: String(error?.stack ?? error).split("\n")[0] });
    }
  }
} finally {
  await chrome.kill();
}

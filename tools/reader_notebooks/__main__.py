"""``python -m reader_notebooks NOTEBOOKS``: run every notebook as a reader would; exit 1 on a difference."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from reader_notebooks import compare, environment, run


def main(argv: list[str] | None = None) -> int:
    """Create a reader's environment, run every notebook in it and compare with the site."""
    parser = argparse.ArgumentParser(prog="python -m reader_notebooks", description=__doc__)
    parser.add_argument("notebooks", type=Path, help="the published notebooks (build/notebooks)")
    parser.add_argument("--wheels", type=Path, required=True, help="the built wheel's folder")
    parser.add_argument("--constraints", type=Path, required=True, help="the project's lock")
    parser.add_argument(
        "--pin",
        action="append",
        default=[],
        help="one more constraint, such as the build of torch the site used (torch==2.13.0+cpu)",
    )
    parser.add_argument("--prefix", type=Path, required=True, help="where to create the env")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 1))
    parser.add_argument("--timeout", type=int, default=600, help="seconds a cell may run")
    parser.add_argument(
        "--translation",
        action="append",
        default=[],
        help="a folder of NOTEBOOKS holding a translated edition of the others (zh_CN)",
    )
    parser.add_argument(
        "--translations",
        choices=["run", "compare"],
        default="run",
        help="run the translated notebooks too (the default), or only check what is always"
        " checked: that their code and outputs are the original notebooks', cell for cell",
    )
    args = parser.parse_args(argv)

    notebooks = run.read_notebooks(args.notebooks)
    # Printed at once: a run that stops early (no wheel, a failed install) still says them.
    problems = compare.translation_problems(notebooks, args.translation)
    for line in problems:
        print(f"FAIL {line}")
    translated = [name for name in notebooks if name.partition("/")[0] in args.translation]
    if args.translations == "compare":
        for name in translated:
            del notebooks[name]
    print(
        f"{len(translated)} translated notebooks ({', '.join(args.translation) or 'none'}):"
        f" {len(problems)} differences from the originals' code and outputs"
        + ("; not run" if args.translations == "compare" else "; run below with the others")
    )
    wheels = sorted(args.wheels.glob("autograd_guide-*.whl"))
    if not notebooks or not wheels:
        missing = "no notebooks in " + str(args.notebooks) if not notebooks else ""
        missing = missing or f"no autograd_guide wheel in {args.wheels}"
        print(
            f"reader_notebooks: {missing}: build them first (nox -s docs, package)", file=sys.stderr
        )
        return 2

    start = time.monotonic()
    prefix = args.prefix.resolve()
    constraints = environment.write_constraints(
        prefix.with_name(prefix.name + "-constraints.txt"), args.constraints, args.pin
    )
    settings = environment.pip_settings(args.wheels.resolve(), constraints)
    kernel = environment.create(prefix, settings)
    with tempfile.TemporaryDirectory(prefix="reader-ipython-") as ipython:
        env = {
            **environment.kernel_environment(prefix, os.environ),
            **settings,
            # A reader's IPython has no profile of the site's: an empty folder.
            "IPYTHONDIR": ipython,
        }
        errors = run.install(run.install_cells(notebooks.values()), kernel, env, args.timeout)
        versions = environment.installed(prefix)
        print(
            f"A new environment, {args.prefix}, with what the install cells installed:"
            f" autograd-guide {versions.get('autograd-guide', 'MISSING')},"
            f" torch {versions.get('torch', 'MISSING')} ({len(versions)} packages)"
            f" in {time.monotonic() - start:.0f} s"
        )
        # The wheel of this checkout, not a release of the same number from an index.
        wheel_version = wheels[-1].name.split("-")[1]
        if versions.get("autograd-guide") != wheel_version:
            errors.append(
                f"the install cells installed autograd-guide {versions.get('autograd-guide')},"
                f" not the wheel {wheels[-1].name}"
            )
        if errors:
            for line in errors:
                print(f"FAIL {line}")
            return 1

        def report(outcome: run.Outcome) -> None:
            verdict = "ok" if not outcome.failures() else "FAIL"
            print(f"{verdict:4} {outcome.seconds:5.1f} s  {outcome.notebook}", flush=True)

        outcomes = run.run_all(notebooks, kernel, env, args.workers, args.timeout, report)
    failures = [line for outcome in outcomes for line in outcome.failures()]
    print()
    for line in failures:
        print(f"FAIL {line}")
    print(
        f"Ran {len(outcomes)} notebooks, each in a new kernel, {args.workers} at a time, in"
        f" {time.monotonic() - start:.0f} s: {len(failures)} differences from the site"
        + (f" ({len(problems)} translations differ from the originals: above)" if problems else "")
    )
    return 1 if failures or problems else 0


if __name__ == "__main__":
    sys.exit(main())

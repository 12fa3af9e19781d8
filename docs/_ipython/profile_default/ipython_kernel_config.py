# Configuration of the Jupyter kernel that executes the pages (conf.py points
# IPYTHONDIR here). Errors shown on a page end in one line, "RuntimeError: ...":
# the default traceback runs through torch's internals and prints the paths of
# the build machine's virtual environment, which differ on every machine.
c = get_config()  # noqa: F821 (provided by IPython when it reads this file)
c.InteractiveShell.xmode = "Minimal"
# The kernel talks to the build over loopback only; its warning about TCP
# without encryption would otherwise print once per page in every build log.
c.IPKernelApp.log_level = "ERROR"
# Plots as SVG: crisp at any width, text searchable. No date and a fixed id
# salt, so the same plot gives the same bytes on every build.
c.InlineBackend.figure_formats = {"svg"}
c.InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "metadata": {"Date": None}}
c.InlineBackend.rc = {"svg.hashsalt": "autograd-guide", "figure.dpi": 96}

# Configuration of the Jupyter kernel that executes the pages (conf.py points
# IPYTHONDIR here). Errors shown on a page end in one line, "RuntimeError: ...":
# the default traceback runs through torch's internals and prints the paths of
# the build machine's virtual environment, which differ on every machine.
c = get_config()  # noqa: F821 (provided by IPython when it reads this file)
c.InteractiveShell.xmode = "Minimal"
# The kernel talks to the build over loopback only; its warning about TCP
# without encryption would otherwise print once per page in every build log.
c.IPKernelApp.log_level = "ERROR"

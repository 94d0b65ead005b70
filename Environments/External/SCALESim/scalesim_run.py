"""Runs SCALE-Sim once for DesignGym's SCALESim-v1 command environment.

    python3 scalesim_run.py PYTHON CONFIG TOPOLOGY OUTPUT_FOLDER

PYTHON is the interpreter that runs SCALE-Sim (SCALE-Sim 3.0.0 needs numpy < 2); `auto` means DesignGym's
own .venv/scalesim when `make scalesim` has made it, else this Python. This script starts again under that
interpreter, then runs the same simulation as SCALE-Sim's command line without its traces (large CSV
files per layer), writing only its reports (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv,
DETAILED_ACCESS_REPORT.csv) into OUTPUT_FOLDER/<run name>/. SCALE-Sim also wants a layout file even when
custom layouts are off (they are, in the config DesignGym writes): one is made from the topology's layer
names, with every factor 1 and the orders SCALE-Sim's examples use.
"""

import contextlib
import os
import sys

# `make scalesim` installs SCALE-Sim 3.0.0 with the numpy it needs here, at the top of the repository.
OWN_ENVIRONMENT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".venv", "scalesim"))
RUNNING = "--running"


def usable_scalesim():
    """None when SCALE-Sim 3.0.0 can run in this Python, else why not."""
    try:
        import numpy
        import scalesim  # noqa: F401
    except ImportError as error:
        return f"SCALE-Sim is not installed ({error})"
    if int(numpy.__version__.split(".")[0]) >= 2:
        return f"SCALE-Sim 3.0.0 fails with numpy {numpy.__version__}; it needs numpy < 2"
    return None


def start_under_the_chosen_python():
    """Starts this script again under the Python the PYTHON argument names."""
    chosen = sys.argv[1]
    if chosen == "auto":
        own = os.path.join(OWN_ENVIRONMENT, "bin", "python")
        chosen = own if os.path.exists(own) else sys.executable
    try:
        os.execv(chosen, [chosen, os.path.abspath(__file__), RUNNING] + sys.argv[2:])
    except OSError as error:
        sys.exit(f"cannot run the Python {chosen!r} given with --option python=…: {error.strerror}")


LAYOUT_HEADER = ("Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, Filter Height Intraline Factor, "
                 "Filter Width Intraline Factor, Channel Intraline Factor, Num Filter Intraline Factor, IFMAP Height Intraline Order, "
                 "IFMAP Width Intraline Order, Channel Intraline Order, IFMAP Height Interline Order, IFMAP Width Interline Order, "
                 "Channel Interline Order, Num Filter Intraline Order, Channel Intraline Order, Filter Height Intraline Order, "
                 "Filter Width Intraline Order, Num Filter Interline Order, Channel Interline Order, Filter Height Interline Order, "
                 "Filter Width Interline Order,\n")


def main():
    if sys.argv[1:2] != [RUNNING]:
        start_under_the_chosen_python()
    problem = usable_scalesim()
    if problem:
        sys.exit(f"{sys.executable}: {problem}. Run `make scalesim` in DesignGym's folder (it installs scalesim==3.0.0 "
                 f"and numpy==1.26.4 into .venv/scalesim), or give a Python that has them: --option python=PATH")
    from scalesim.scale_sim import scalesim

    config, topology, output = sys.argv[2:5]
    layout = os.path.join(output, "layout.csv")
    os.makedirs(output, exist_ok=True)
    with open(topology) as source, open(layout, "w") as target:
        target.write(LAYOUT_HEADER)
        for line in list(source)[1:]:
            name = line.split(",")[0].strip()
            if name:
                target.write(name + ",1,1,1,1,1,1,1,2,0,4,5,3,3,0,1,2,7,4,5,6,\n")
    # SCALE-Sim prints its progress; DesignGym reads the reports, so it goes to standard error.
    with contextlib.redirect_stdout(sys.stderr):
        simulation = scalesim(save_disk_space=True, verbose=False, config=config, topology=topology, layout=layout)
        simulation.run_scale(top_path=output)


if __name__ == "__main__":
    main()

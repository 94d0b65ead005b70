"""Runs SCALE-Sim once for DesignGym's SCALESim-v1 command environment.

    python scalesim_run.py CONFIG TOPOLOGY OUTPUT_FOLDER

SCALE-Sim's own command line always writes its cycle-by-cycle traces (large CSV files per layer); this
runs the same simulation without them, and writes only its reports (COMPUTE_REPORT.csv,
BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv) into OUTPUT_FOLDER/<run name>/. SCALE-Sim also wants
a layout file even when custom layouts are off (they are, in the config DesignGym writes): one is made
from the topology's layer names, with every factor 1 and the orders SCALE-Sim's examples use.
"""

import contextlib
import os
import sys

# `make scalesim` installs SCALE-Sim 3.0.0 with the numpy it needs into .venv/scalesim at the top of the
# repository; --option python=… names another Python.
OWN_ENVIRONMENT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".venv", "scalesim"))


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


def use_a_python_that_works():
    problem = usable_scalesim()
    if problem is None:
        return
    own = os.path.join(OWN_ENVIRONMENT, "bin", "python")
    # A virtual environment's python is a link to the base interpreter: compare prefixes, not executables.
    if os.path.exists(own) and os.path.realpath(sys.prefix) != os.path.realpath(OWN_ENVIRONMENT):
        os.execv(own, [own] + sys.argv)
    sys.exit(f"{sys.executable}: {problem}. Run `make scalesim` in DesignGym's folder (it installs scalesim==3.0.0 "
             f"and numpy==1.26.4 into .venv/scalesim), or give a Python that has them: --option python=PATH")

LAYOUT_HEADER = ("Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, Filter Height Intraline Factor, "
                 "Filter Width Intraline Factor, Channel Intraline Factor, Num Filter Intraline Factor, IFMAP Height Intraline Order, "
                 "IFMAP Width Intraline Order, Channel Intraline Order, IFMAP Height Interline Order, IFMAP Width Interline Order, "
                 "Channel Interline Order, Num Filter Intraline Order, Channel Intraline Order, Filter Height Intraline Order, "
                 "Filter Width Intraline Order, Num Filter Interline Order, Channel Interline Order, Filter Height Interline Order, "
                 "Filter Width Interline Order,\n")


def main():
    use_a_python_that_works()
    from scalesim.scale_sim import scalesim

    config, topology, output = sys.argv[1:4]
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

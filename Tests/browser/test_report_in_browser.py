"""`gym report` checked in a real browser: headless Chromium (Debian's package) parses the page and
renders it to PNG, and the page holds the plots and numbers the report computed."""

import html.parser
import importlib.util
import os
import pathlib
import shutil
import struct
import subprocess
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The colours the report gives its first agents, in order (Report+HTML.swift).
PALETTE = [(0x1F, 0x77, 0xB4), (0xD6, 0x27, 0x28), (0x2C, 0xA0, 0x2C)]
WIDTH, HEIGHT = 1400, 2600

SWEEP = """
name: browser
budget: 30
seeds: 2
environments: [{id: Branin-v0}, {id: ZDT1-v0}]
agents: [{id: random}, {id: genetic}]
"""


# The gym binary is found as the Python client's tests find it.
_client_tests = importlib.util.spec_from_file_location("client_tests_conftest", ROOT / "Agents" / "python" / "tests" / "conftest.py")
_client_conftest = importlib.util.module_from_spec(_client_tests)
_client_tests.loader.exec_module(_client_conftest)
gym_binary = _client_conftest.gym_binary


def chromium_binary():
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "no Chromium: `make test` installs Debian's chromium package (or set CHROMIUM)"
    return found


def chromium(tmp_path, *arguments):
    """Runs headless Chromium with its own profile; returns standard output."""
    command = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'profile'}", *arguments]
    result = subprocess.run(command, capture_output=True, timeout=180)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result.stdout.decode()


def decode_png(data):
    """Width, height and rows of (r, g, b) of an 8-bit RGB or RGBA PNG: the chunks, inflate, unfilter."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
                predictor = left if distances[0] <= distances[1] and distances[0] <= distances[2] else (up if distances[1] <= distances[2] else corner)
                line[x] = (line[x] + predictor) & 0xFF
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows


class Page(html.parser.HTMLParser):
    """What the browser's DOM holds: elements by tag and class, and each table's rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.elements, self.tables, self.cell = [], [], None

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        self.elements.append((tag, attributes.get("class"), attributes.get("data-agent")))
        if tag == "table":
            self.tables.append((attributes.get("class"), []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][1][-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def count(self, tag, kind=None):
        return sum(1 for element in self.elements if element[0] == tag and (kind is None or element[1] == kind))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    directory = tmp_path_factory.mktemp("report")
    (directory / "sweep.yaml").write_text(SWEEP)
    database = str(directory / "gym.sqlite")
    subprocess.run([gym_binary(), "sweep", str(directory / "sweep.yaml"), "--jobs", "2", "--db", database],
                   check=True, capture_output=True)
    page = directory / "report.html"
    subprocess.run([gym_binary(), "report", "--sweep", "browser", "--db", database, "--out", str(page)], check=True, capture_output=True)
    markdown = subprocess.run([gym_binary(), "report", "--sweep", "browser", "--db", database, "--format", "markdown"],
                              check=True, capture_output=True, text=True).stdout
    return directory, page, markdown


def test_the_browser_builds_every_plot_and_table(report):
    directory, page, markdown = report
    dom = Page()
    dom.feed(chromium(directory, "--dump-dom", page.as_uri()))
    # Branin: curve and lottery; ZDT1: curve, lottery and fronts.
    assert dom.count("svg") == 5
    assert dom.count("polyline", "median") == 4 and dom.count("rect", "box") == 4
    assert dom.count("polyline", "front") == 2 and dom.count("circle", "front-point") > 2
    assert dom.count("section", "group") == 2
    # The agents' tables in the DOM hold the numbers of the markdown summary, row for row.
    summaries = [rows for kind, rows in dom.tables if kind == "agents"]
    assert len(summaries) == 2
    expected = [line.split(" | ") for line in markdown.splitlines() if line.startswith(("| genetic | 2 |", "| random | 2 |"))]
    shown = [row for rows in summaries for row in rows[1:]]
    assert [(row[0], row[1], row[2]) for row in shown] == [(cells[0][2:], cells[1], cells[2]) for cells in expected]
    # Every run links back to its `gym show` command.
    runs = [row for kind, rows in dom.tables if kind == "runs" for row in rows[1:]]
    assert len(runs) == 8 and all(row[-1] == f"gym show {row[0]}" for row in runs)


def test_the_page_renders_to_a_png_with_its_plots_drawn(report):
    directory, page, _ = report
    image = directory / "report.png"
    chromium(directory, f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={image}", page.as_uri())
    width, height, rows = decode_png(image.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    counts = {}
    for row in rows:
        for pixel in row:
            counts[pixel] = counts.get(pixel, 0) + 1
    # The page is mostly white, with text in near-black, and each agent's colour drawn in lines, bands'
    # edges, boxes and legends: hundreds of pixels of exactly that colour.
    assert counts.get((255, 255, 255), 0) > width * height // 2
    assert sum(n for (r, g, b), n in counts.items() if max(r, g, b) < 80) > 5000
    for colour in PALETTE[:2]:
        assert counts.get(colour, 0) > 300, f"colour {colour} drawn in only {counts.get(colour, 0)} pixels"
    # The third palette colour belongs to no agent here.
    assert counts.get(PALETTE[2], 0) == 0

"""Image intake benchmark: time and peak memory to sanitise a 24-megapixel upload.

    make bench

Each measurement runs in a fresh interpreter so its peak resident memory (VmHWM, Linux)
belongs to that one upload. The target: no more than about three times the decoded size
(Pillow holds RGB at 4 bytes a pixel, so 6000x4000 decodes to 92 MiB).
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SIZE = (6000, 4000)
RUNS = 3

PROBE = """
import sys, time
from objects.imaging import sanitise

def peak_kib():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1])

baseline = peak_kib()
started = time.perf_counter()
result = sanitise(sys.argv[1])
elapsed = time.perf_counter() - started
print(baseline, peak_kib(), elapsed, len(result.display), len(result.thumbnail))
"""


def photo() -> Image.Image:
    horizontal = Image.linear_gradient("L").rotate(90).resize(SIZE)
    vertical = Image.linear_gradient("L").resize(SIZE)
    pattern = Image.radial_gradient("L").resize(SIZE)
    return Image.merge("RGB", (horizontal, vertical, pattern))


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    options = {"JPEG": {"quality": 90}, "PNG": {"compress_level": 1}, "WEBP": {"quality": 80}}[fmt]
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def measure(path: Path) -> tuple[float, float, int, int]:
    runs = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(path)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        baseline, peak, elapsed, display, thumb = (
            int(out[0]),
            int(out[1]),
            float(out[2]),
            int(out[3]),
            int(out[4]),
        )
        runs.append(((peak - baseline) / 1024, elapsed, display, thumb))
    peak_mib = max(r[0] for r in runs)
    seconds = statistics.median(r[1] for r in runs)
    return peak_mib, seconds, runs[0][2], runs[0][3]


def main() -> None:
    decoded_mib = SIZE[0] * SIZE[1] * 4 / 2**20
    image = photo()
    print(
        f"Sanitising a {SIZE[0]}x{SIZE[1]} upload ({decoded_mib:.0f} MiB decoded), median of {RUNS} runs"
    )
    print(
        f"{'format':<6} {'upload':>9} {'seconds':>8} {'peak MiB':>9} {'x decoded':>10} {'display':>9} {'thumb':>8}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("JPEG", "PNG", "WEBP"):
            path = Path(folder) / f"upload.{fmt.lower()}"
            path.write_bytes(encode(image, fmt))
            peak, seconds, display, thumb = measure(path)
            print(
                f"{fmt:<6} {path.stat().st_size / 2**20:>7.1f}MB {seconds:>8.2f} {peak:>9.1f}"
                f" {peak / decoded_mib:>10.2f} {display / 1024:>7.0f}kB {thumb / 1024:>6.0f}kB"
            )
    print("target: peak at most ~3x decoded")


if __name__ == "__main__":
    main()

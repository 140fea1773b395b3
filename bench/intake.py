"""Image intake benchmark: time and peak memory to sanitise a 24-megapixel upload.

    make bench

Each measurement runs in a fresh interpreter so its peak resident memory (VmHWM, Linux)
belongs to that one upload. The target: no more than about three times the decoded size
(Pillow holds RGB at 4 bytes a pixel, so 6000x4000 decodes to 92 MiB), and never more than
the decoding budget (OBJECT_MAX_MEGAPIXELS x 4 bytes, 191 MiB at 50 megapixels). WebP is
charged 17 bytes a pixel, so a 24-megapixel WebP is refused from its header; its row says
so, and a second row measures about the largest WebP the budget lets in (11.8 megapixels).
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

WEBP_FITS = (4200, 2800)  # 11.76 megapixels: about the most a WebP may have by default

PROBE = """
import sys, time
from objects.imaging import ImageRejected, sanitise

def peak_kib():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1])

baseline = peak_kib()
started = time.perf_counter()
try:
    result = sanitise(sys.argv[1])
except ImageRejected as exc:
    print("refused", exc)
    sys.exit()
elapsed = time.perf_counter() - started
print(baseline, peak_kib(), elapsed, len(result.display), len(result.thumbnail))
"""


def photo(size: tuple[int, int] = SIZE) -> Image.Image:
    horizontal = Image.linear_gradient("L").rotate(90).resize(size)
    vertical = Image.linear_gradient("L").resize(size)
    pattern = Image.radial_gradient("L").resize(size)
    return Image.merge("RGB", (horizontal, vertical, pattern))


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    options = {"JPEG": {"quality": 90}, "PNG": {"compress_level": 1}, "WEBP": {"quality": 80}}[fmt]
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def measure(path: Path) -> tuple[float, float, int, int] | str:
    """(peak MiB, seconds, display bytes, thumbnail bytes), or the refusal's reason."""
    runs = []
    for _ in range(RUNS):
        stdout = subprocess.run(
            [sys.executable, "-c", PROBE, str(path)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        if stdout.startswith("refused "):
            return stdout.removeprefix("refused ").strip()
        out = stdout.split()
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
    uploads = [("JPEG", image), ("PNG", image), ("WEBP", image), ("WEBP", photo(WEBP_FITS))]
    with tempfile.TemporaryDirectory() as folder:
        for number, (fmt, picture) in enumerate(uploads):
            path = Path(folder) / f"upload{number}.{fmt.lower()}"
            path.write_bytes(encode(picture, fmt))
            name = fmt if picture.size == SIZE else f"{fmt} {picture.width}x{picture.height}"
            measured = measure(path)
            if isinstance(measured, str):
                print(f"{name:<6} {path.stat().st_size / 2**20:>7.1f}MB refused: {measured}")
                continue
            peak, seconds, display, thumb = measured
            own_mib = picture.width * picture.height * 4 / 2**20
            print(
                f"{name:<6} {path.stat().st_size / 2**20:>7.1f}MB {seconds:>8.2f} {peak:>9.1f}"
                f" {peak / own_mib:>10.2f} {display / 1024:>7.0f}kB {thumb / 1024:>6.0f}kB"
            )
    print("x decoded: the peak over that upload's own decoded size (4 bytes a pixel)")
    print(f"target: peak at most ~3x decoded, and under the budget ({4 * 50e6 / 2**20:.0f} MiB)")


if __name__ == "__main__":
    main()

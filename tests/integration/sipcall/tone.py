# Test tones for SIP calls: 8 kHz mono S16LE WAV files, and tone detection in a recording
# (Goertzel per 20 ms frame, share of the frame's power). Not an audio codec or a player.

import array
import math
import random
import struct
import sys
from dataclasses import dataclass

RATE = 8000

__all__ = ["RATE", "ToneReport", "write_wav", "read_wav", "tone_samples", "noise_samples",
           "write_tone_wav", "write_silence_wav", "goertzel_power", "dominant_frequency",
           "detect_tone", "analyse_wav"]

# ---------------------------------------------------------------------------
# WAV files (RIFF PCM, S16LE)

def write_wav(path, samples, rate=RATE):
    """Writes mono S16LE PCM; samples are ints, clipped to 16 bits."""
    pcm = array.array("h", (max(-32768, min(32767, int(s))) for s in samples))
    if sys.byteorder == "big":
        pcm.byteswap()
    _write_pcm(path, pcm.tobytes(), rate)


def _write_pcm(path, data, rate):
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    header += b"fmt " + struct.pack("<I", len(fmt)) + fmt
    header += b"data" + struct.pack("<I", len(data))
    with open(path, "wb") as f:
        f.write(header + data)


def read_wav(path):
    """Returns (rate, samples) of a PCM S16LE WAV (first channel if several). Tolerates a
    data chunk whose size field is 0 or too large (a file still being written)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, fmt = 12, None
    while pos + 8 <= len(blob):
        cid, size = blob[pos:pos + 4], struct.unpack_from("<I", blob, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", blob, body)
        elif cid == b"data":
            if fmt is None:
                raise ValueError(f"{path}: data before fmt")
            return _pcm_of(path, fmt, blob, body, size)
        pos = body + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def _pcm_of(path, fmt, blob, body, size):
    tag, channels, rate, _, align, bits = fmt
    if tag not in (1, 0xFFFE) or bits != 16 or channels < 1:
        raise ValueError(f"{path}: not 16-bit PCM (format {tag}, {bits} bits)")
    end = len(blob) if size == 0 or body + size > len(blob) else body + size
    end -= (end - body) % align
    samples = struct.unpack_from("<%dh" % ((end - body) // 2), blob, body)
    return rate, list(samples[::channels])


def tone_samples(freq, seconds, amplitude=0.5, rate=RATE):
    """A sine of FREQ Hz; amplitude is a fraction of full scale (1.0 = 32767)."""
    n = int(round(seconds * rate))
    a = amplitude * 32767
    w = 2 * math.pi * freq / rate
    return [int(round(a * math.sin(w * i))) for i in range(n)]


def noise_samples(seconds, amplitude=0.3, rate=RATE, seed=1):
    """Gaussian white noise with RMS amplitude * full scale (reproducible)."""
    rnd = random.Random(seed)
    a = amplitude * 32767
    return [int(max(-32768, min(32767, rnd.gauss(0, a)))) for _ in range(int(seconds * rate))]


def write_tone_wav(path, freq=1000.0, seconds=10.0, amplitude=0.5, rate=RATE):
    write_wav(path, tone_samples(freq, seconds, amplitude, rate), rate)
    return path


def write_silence_wav(path, seconds=10.0, rate=RATE):
    _write_pcm(path, bytes(2 * int(seconds * rate)), rate)
    return path


# ---------------------------------------------------------------------------
# Tone detection


def goertzel_power(frame, freq, rate=RATE):
    """|X(freq)|^2 of the frame (the DTFT at FREQ, any FREQ, not only bin centres)."""
    coeff = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in frame:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


_HANN = {}


def _hann(n):
    if n not in _HANN:
        _HANN[n] = [0.5 - 0.5 * math.cos(2 * math.pi * i / n) for i in range(n)]
    return _HANN[n]


@dataclass
class ToneReport:
    """What detect_tone measured. found: the verdict; fraction: frames with the tone
    among the frames of the window; dominant_hz: the strongest frequency (None when the
    window is silent); longest_run_s: the longest stretch of tone frames; level_dbfs: RMS
    of the window; median_share: median share of the power in the tone's band."""
    found: bool
    freq_hz: float
    fraction: float
    dominant_hz: float
    frames: int
    tone_frames: int
    longest_run_s: float
    level_dbfs: float
    median_share: float
    seconds: float
    reason: str = ""


def _dbfs(energy, n):
    if n == 0 or energy <= 0:
        return -200.0
    return 20 * math.log10(math.sqrt(energy / n) / 32768.0)


def _frame_share(y, freq, rate, energy):
    """Share of the (windowed) frame's power in the bins FREQ-d, FREQ, FREQ+d (d = rate/N).
    Those bins belong to one orthogonal set, so Parseval bounds the share by 1: the
    power at +-f is 2|X|^2 / (N * sum y^2) for a real signal."""
    n = len(y)
    d = rate / n
    band = sum(goertzel_power(y, freq + k * d, rate) for k in (-1, 0, 1))
    return min(1.0, 2.0 * band / (n * energy)) if energy > 0 else 0.0


def dominant_frequency(samples, rate=RATE, frame_ms=20, max_frames=25, step_hz=25.0):
    """The strongest frequency: a Goertzel scan (step_hz grid, Hann window) summed over up
    to max_frames of the loudest frames, refined by a parabola through the peak's log
    powers. None for silence."""
    n = int(rate * frame_ms / 1000)
    frames = [samples[i:i + n] for i in range(0, len(samples) - n + 1, n)]
    loud = sorted(frames, key=lambda f: sum(x * x for x in f), reverse=True)[:max_frames]
    loud = [f for f in loud if any(f)]
    if not loud:
        return None
    win = _hann(n)
    grid = [step_hz * k for k in range(1, int((rate / 2) / step_hz))]
    spectrum = [0.0] * len(grid)
    for f in loud:
        y = [a * b for a, b in zip(f, win)]
        for i, hz in enumerate(grid):
            spectrum[i] += goertzel_power(y, hz, rate)
    k = max(range(len(grid)), key=spectrum.__getitem__)
    if 0 < k < len(grid) - 1 and min(spectrum[k - 1:k + 2]) > 0:
        a, b, c = (math.log(spectrum[j]) for j in (k - 1, k, k + 1))
        den = a - 2 * b + c
        off = 0.5 * (a - c) / den if den < 0 else 0.0
        return grid[k] + max(-0.5, min(0.5, off)) * step_hz
    return grid[k]


def detect_tone(samples, rate, freq, *, frame_ms=20, start_s=0.0, end_s=None,
                min_share=0.5, min_level_dbfs=-45.0, min_fraction=0.5,
                max_freq_error_hz=30.0, min_frames=25):
    """Looks for a FREQ Hz tone in samples[start_s:end_s] (see the module docstring)."""
    n = int(rate * frame_ms / 1000)
    lo = int(start_s * rate)
    hi = len(samples) if end_s is None else min(len(samples), int(end_s * rate))
    window = samples[lo:hi]
    win = _hann(n)
    tone, shares, run, best, total = 0, [], 0, 0, 0.0
    nframes = len(window) // n
    for i in range(nframes):
        f = window[i * n:(i + 1) * n]
        raw = sum(x * x for x in f)
        total += raw
        y = [a * b for a, b in zip(f, win)]
        share = _frame_share(y, freq, rate, sum(v * v for v in y))
        shares.append(share)
        hit = share >= min_share and _dbfs(raw, n) >= min_level_dbfs
        tone += hit
        run = run + 1 if hit else 0
        best = max(best, run)
    dom = dominant_frequency(window, rate, frame_ms)
    fraction = tone / nframes if nframes else 0.0
    shares.sort()
    rep = ToneReport(found=False, freq_hz=freq, fraction=round(fraction, 3),
                     dominant_hz=None if dom is None else round(dom, 1), frames=nframes,
                     tone_frames=tone, longest_run_s=round(best * frame_ms / 1000, 3),
                     level_dbfs=round(_dbfs(total, nframes * n), 1),
                     median_share=round(shares[len(shares) // 2], 3) if shares else 0.0,
                     seconds=round(len(window) / rate, 3))
    rep.reason = _verdict(rep, min_frames, min_fraction, max_freq_error_hz, min_level_dbfs)
    rep.found = rep.reason == "found"
    return rep


def _verdict(rep, min_frames, min_fraction, max_err, min_level):
    if rep.frames < min_frames:
        return f"too short: {rep.frames} frames < {min_frames}"
    if rep.dominant_hz is None or rep.level_dbfs < min_level:
        return f"silent ({rep.level_dbfs} dBFS)"
    if rep.fraction < min_fraction:
        return f"tone in {rep.fraction:.0%} of frames < {min_fraction:.0%}"
    if abs(rep.dominant_hz - rep.freq_hz) > max_err:
        return f"dominant {rep.dominant_hz} Hz is not {rep.freq_hz} Hz"
    return "found"


def analyse_wav(path, freq, **kw):
    rate, samples = read_wav(path)
    return detect_tone(samples, rate, freq, **kw)

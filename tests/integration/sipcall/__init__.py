# The SIP call test harness: real baresip clients driven over ctrl_tcp, test tones and their
# detection, SIP bytes, pcap and tshark checks. Standard library only; not a SIP stack.
"""sipcall: drive real SIP calls with baresip and judge them.

Modules (everything is re-exported here, ``import sipcall`` is enough):

* ``tone``: ``write_tone_wav(path, freq, seconds, amplitude)`` writes 8 kHz mono S16LE,
  the format baresip's aufile source needs for PCMU. ``detect_tone(samples, rate, freq)``
  / ``analyse_wav(path, freq)`` cut the signal into 20 ms frames and, in each frame,
  compare the Goertzel power of the band around FREQ (Hann window, the bins FREQ - 50 Hz,
  FREQ, FREQ + 50 Hz) with the frame's total power (Parseval). A frame "has the tone"
  when the band holds at least ``min_share`` of the power and the frame is louder than
  ``min_level_dbfs``. The tone is found when such frames are at least ``min_fraction`` of
  the frames in the window and the dominant frequency (coarse Goertzel scan + parabolic
  peak) is within ``max_freq_error_hz`` of FREQ. Silence, white noise and another tone
  are rejected.
* ``baresip``: ``Baresip`` writes a config folder, starts ``baresip -f DIR`` (in a
  network namespace with ``ip netns exec``), talks to it over ctrl_tcp (JSON in
  netstrings): ``dial``, ``wait_event``, ``wait_registered``, ``hangup``, ``quit``; always
  ends it in ``stop()`` (also as a context manager); ``new_recordings()`` finds the
  ``dump-*-dec.wav`` files that the sndfile module wrote for a call. ``run_call()`` makes
  one call between two running clients and judges it (``CallResult``).
* ``sipmsg``: ``UdpSink``, a UDP socket in a namespace that keeps what arrives and can
  answer (``sip_response()``); ``sip_method``, ``sip_status``, ``sip_header``,
  ``sip_body``.
* ``capture``: ``udp_payloads(pcap)``, ``sip_messages(pcap)``; ``tshark_check(pcap)``:
  frames tshark calls malformed or flags with an expert warning (or worse), and counts of
  SIP, SDP, RTP, RTCP, STUN, HIP and ESP frames.

Command line (for shell tests), ``python3 tests/integration/sipcall COMMAND``:
``tone FILE [--freq HZ] [--seconds S] [--amplitude A]``; ``detect FILE --freq HZ`` (JSON,
exit 0 when found, 1 not); ``tshark PCAP [--decode-as udp.port==5062,sip]`` (JSON, exit
0 when clean).

How a p2psipd call test uses it: tests/integration/README-sipcall.md.
"""

from .tone import *  # noqa: F401,F403
from .baresip import *  # noqa: F401,F403
from .sipmsg import *  # noqa: F401,F403
from .capture import *  # noqa: F401,F403

"""Stop strings for streamed text: text that could still turn into a stop string is held back, so a
client never sees half of ``\\nInput:`` before the engine notices the model started a new block."""

from __future__ import annotations


class StopScanner:
    """Feed text pieces; get back what is safe to emit, and whether a stop string was hit.

    With ``trim`` the answer's leading whitespace is dropped and trailing whitespace is held until
    more text follows, so an unconstrained answer never starts or ends with stray newlines.
    """

    def __init__(self, stops: list[str], *, trim: bool = False) -> None:
        self.stops = [s for s in stops if s]
        self.trim = trim
        self._pending = ""
        self._started = False
        self.hit = False

    def feed(self, piece: str) -> str:
        if self.hit:
            return ""
        if self.trim and not self._started:
            piece = piece.lstrip()
            if not piece:
                return ""
            self._started = True
        self._pending += piece
        cut = min((i for i in (self._pending.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.hit = True
            out = self._pending[:cut]
            self._pending = ""
            return out.rstrip() if self.trim else out
        keep = self._held_suffix(self._pending)
        out, self._pending = self._pending[:len(self._pending) - keep], self._pending[len(self._pending) - keep:]
        return out

    def flush(self) -> str:
        """What is still held back, at the end of generation."""
        out, self._pending = self._pending, ""
        return out.rstrip() if self.trim else out

    def _held_suffix(self, text: str) -> int:
        """Length of the tail that must wait: a prefix of a stop string, or (trim) whitespace."""
        hold = 0
        for s in self.stops:
            for n in range(min(len(s) - 1, len(text)), 0, -1):
                if text.endswith(s[:n]):
                    hold = max(hold, n)
                    break
        if self.trim:  # also hold the whitespace just before the held part: it may end the answer
            while hold < len(text) and text[len(text) - hold - 1].isspace():
                hold += 1
        return hold

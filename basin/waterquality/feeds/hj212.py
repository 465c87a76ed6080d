r"""HJ 212-2017 data packets (污染物在线监控（监测）系统数据传输标准): parse, check, build and answer.

A packet is ``##`` + a 4-digit decimal length of the data segment + the data segment + its CRC16
as 4 hex digits + ``\r\n``. The data segment is
``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&``; the command parameters (CP) of an
upload hold ``DataTime=YYYYMMDDhhmmss`` and, per pollutant code, ``<code>-Rtd`` (real-time, CN 2011)
or ``<code>-Avg`` (minute/hour/day, CN 2051/2061/2031) with ``<code>-Flag`` (N normal, F stopped,
M maintenance, S manual, D fault, C calibration, T over range, B communication fault).

The CRC is the one printed in the standard's appendix (A.3): ``crc = 0xFFFF``; for each byte
``crc = (crc >> 8) ^ byte`` then eight reflected steps with polynomial 0xA001. It is *not*
CRC-16/MODBUS (which XORs the byte into the low byte of the full register): the two differ on the
standard's own example (``QN=20160801085857223;…RtdInterval=30&&`` gives 1C80, MODBUS 0759).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from basin._errors import DataError, SchemaError

__all__ = [
    "DATA_FLAGS",
    "Packet",
    "PacketError",
    "PacketReader",
    "build_packet",
    "code_table",
    "crc16",
    "crc16_many",
    "iter_packet_lines",
    "packets_to_long",
    "parse_packet",
    "reply_for",
]

#: HJ 212-2017 data flags (数据标记, section 6.6.4 / Table 6): only ``N`` is a normal measurement.
DATA_FLAGS = {
    "N": "正常 normal",
    "F": "停运 instrument stopped",
    "M": "维护 maintenance",
    "S": "手工输入 manual set value",
    "D": "故障 fault",
    "C": "校准 calibration",
    "T": "超测上限 over the measuring range",
    "B": "通讯异常 communication fault",
}
#: upload commands (CN) that carry monitoring data: real-time, minute, hourly, daily
DATA_COMMANDS = {"2011": "Rtd", "2051": "Avg", "2061": "Avg", "2031": "Avg"}
MAX_DATA_LENGTH = 9999  # the length field has 4 digits (the standard's limit for one packet is 1024)
_SHOW = 60


class PacketError(DataError):
    """A malformed HJ 212 packet (the message gives the reason; ``line`` the packet's line or number)."""

    def __init__(self, reason: str, *, line: int | None = None, raw: bytes | str = b"") -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{reason}")
        self.reason = reason
        self.line = line
        self.raw = raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace")


def _crc_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint16)
    for i in range(256):
        r = i
        for _ in range(8):
            r = (r >> 1) ^ 0xA001 if r & 1 else r >> 1
        table[i] = r
    return table


_TABLE = _crc_table()
_TABLE_LIST = [int(x) for x in _TABLE]


def crc16(data: bytes | str) -> int:
    """Return the HJ 212-2017 CRC16 of a data segment (the bytes between the length field and the CRC).

    Examples
    --------
    >>> seg = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    >>> f"{crc16(seg + 'CP=&&RtdInterval=30&&'):04X}"
    '1C80'
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    crc = 0xFFFF
    t = _TABLE_LIST
    for b in data:
        # the register's high byte is XORed with the data byte: only 8 bits enter the table
        crc = t[(crc >> 8) ^ b]
    return crc


def crc16_many(segments: list[bytes]) -> np.ndarray:
    """Return the CRC16 (:func:`crc16`) of many data segments at once (vectorised over the segments)."""
    n = len(segments)
    if n == 0:
        return np.zeros(0, dtype=np.uint16)
    lengths = np.fromiter((len(s) for s in segments), dtype=np.int64, count=n)
    width = int(lengths.max())
    buf = np.zeros((n, width), dtype=np.uint8)
    flat = np.frombuffer(b"".join(segments), dtype=np.uint8)
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    buf[rows, cols] = flat
    crc = np.full(n, 0xFFFF, dtype=np.uint16)
    # sort by length so that each step works on the still-running prefix only
    order = np.argsort(-lengths, kind="stable")
    buf = buf[order]
    crc_o = crc[order]
    lens_o = lengths[order]
    active = n
    for j in range(width):
        while active and lens_o[active - 1] <= j:
            active -= 1
        c = crc_o[:active]
        crc_o[:active] = _TABLE[(c >> 8) ^ buf[:active, j]]
    out = np.empty(n, dtype=np.uint16)
    out[order] = crc_o
    return out


@dataclass
class Packet:
    """One parsed HJ 212 packet."""

    qn: str
    st: str
    cn: str
    pw: str
    mn: str
    flag: int
    cp: str
    raw: bytes
    line: int | None = None
    pnum: str | None = None
    pno: str | None = None
    header: dict[str, str] = field(default_factory=dict)

    @property
    def needs_reply(self) -> bool:
        """Flag bit A (bit 0): the sender asks for an answer."""
        return bool(self.flag & 1)

    @property
    def version(self) -> int:
        """Flag bits V5..V0: 0 = HJ/T 212-2005, 1 = HJ 212-2017."""
        return self.flag >> 2

    def cp_fields(self) -> tuple[str | None, list[tuple[str, str, str]], list[str]]:
        """Return ``(DataTime, [(code, field, value)], problems)`` of the command parameters."""
        data_time = None
        items: list[tuple[str, str, str]] = []
        problems: list[str] = []
        if not self.cp:
            return data_time, items, problems
        for group in self.cp.split(";"):
            if not group:
                continue
            for kv in group.split(","):
                key, eq, value = kv.partition("=")
                if not eq:
                    problems.append(f"CP item {kv[:_SHOW]!r} is not KEY=VALUE")
                    continue
                if key == "DataTime":
                    data_time = value
                elif "-" in key:
                    code, _, fld = key.partition("-")
                    items.append((code, fld, value))
                # other CP keys (RtdInterval, QnRtn, PolId, ...) carry no data
        return data_time, items, problems


def _header_fields(segment: str) -> tuple[dict[str, str], str]:
    head, sep, rest = segment.partition("CP=&&")
    if not sep:
        msg = "no 'CP=&&' in the data segment"
        raise ValueError(msg)
    if not rest.endswith("&&"):
        msg = "the command parameters do not end with '&&'"
        raise ValueError(msg)
    fields: dict[str, str] = {}
    for kv in head.split(";"):
        if not kv:
            continue
        k, eq, v = kv.partition("=")
        if not eq:
            msg = f"header item {kv[:_SHOW]!r} is not KEY=VALUE"
            raise ValueError(msg)
        fields[k] = v
    return fields, rest[:-2]


def parse_packet(raw: bytes | str, *, line: int | None = None, check_crc: bool = True) -> Packet:
    r"""Parse and check one packet (with or without its trailing ``\\r\\n``).

    Raises
    ------
    PacketError
        Not starting with ``##``, bad length field, length that does not match, bad or wrong CRC, missing
        ``CP=&&…&&``, missing ST/CN/MN/Flag, not ASCII/UTF-8.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    body = data.rstrip(b"\r\n")

    def fail(reason: str) -> PacketError:
        return PacketError(reason, line=line, raw=data)

    if not body.startswith(b"##"):
        msg = f"packet does not start with '##': {body[:_SHOW]!r}"
        raise fail(msg)
    length_txt = body[2:6]
    if len(length_txt) < 4 or not length_txt.isdigit():
        msg = f"length field {length_txt.decode('ascii', 'replace')!r} is not 4 digits"
        raise fail(msg)
    n = int(length_txt)
    segment = body[6:-4]
    crc_txt = body[-4:]
    if len(body) < 10:
        msg = "packet shorter than header, length and CRC"
        raise fail(msg)
    if len(segment) != n:
        msg = f"length field says {n} bytes, the data segment has {len(segment)}"
        raise fail(msg)
    try:
        crc_given = int(crc_txt, 16)
    except ValueError:
        msg = f"CRC {crc_txt.decode('ascii', 'replace')!r} is not 4 hex digits"
        raise fail(msg) from None
    if check_crc:
        crc_calc = crc16(segment)
        if crc_calc != crc_given:
            msg = f"bad CRC: packet says {crc_given:04X}, data segment gives {crc_calc:04X}"
            raise fail(msg)
    try:
        text = segment.decode("utf-8")
    except UnicodeDecodeError:
        msg = "data segment is not ASCII/UTF-8 text"
        raise fail(msg) from None
    try:
        fields, cp = _header_fields(text)
    except ValueError as exc:
        raise fail(str(exc)) from None
    missing = [k for k in ("ST", "CN", "MN", "Flag") if k not in fields]
    if missing:
        msg = f"missing header field(s) {', '.join(missing)}"
        raise fail(msg)
    try:
        flag = int(fields["Flag"])
    except ValueError:
        msg = f"Flag {fields['Flag'][:_SHOW]!r} is not an integer"
        raise fail(msg) from None
    return Packet(
        qn=fields.get("QN", ""),
        st=fields["ST"],
        cn=fields["CN"],
        pw=fields.get("PW", ""),
        mn=fields["MN"],
        flag=flag,
        cp=cp,
        raw=data,
        line=line,
        pnum=fields.get("PNUM"),
        pno=fields.get("PNO"),
        header=fields,
    )


def frame(segment: str | bytes) -> bytes:
    r"""Wrap a data segment into a packet: ``##`` + length + segment + CRC + ``\\r\\n``."""
    seg = segment.encode("utf-8") if isinstance(segment, str) else segment
    if len(seg) > MAX_DATA_LENGTH:
        msg = f"data segment of {len(seg)} bytes is longer than the 4-digit length field allows"
        raise SchemaError(msg)
    return b"##%04d" % len(seg) + seg + b"%04X\r\n" % crc16(seg)


def build_packet(
    mn: str,
    time: datetime | pd.Timestamp | str,
    values: dict[str, float | tuple[float, str]],
    *,
    cn: str = "2011",
    st: str = "21",
    pw: str = "123456",
    qn: str | None = None,
    ask_reply: bool = False,
) -> bytes:
    """Build an HJ 212-2017 data upload packet (for tests, simulators and replays).

    Parameters
    ----------
    mn
        Equipment code (MN) of the station.
    time
        ``DataTime`` of the values.
    values
        ``{code_or_parameter: value}`` or ``{…: (value, flag)}``; canonical parameters (``"NH3_N"``) are
        written with their HJ 212 code (``w21003``).
    cn
        Command: 2011 real-time (``-Rtd``), 2051 minute, 2061 hourly, 2031 daily (``-Avg``).
    st
        System code (21 surface water quality monitoring).
    qn
        Request number (``YYYYMMDDhhmmsszzz``); default from ``time``.
    ask_reply
        Set flag bit A: the receiver must answer (:func:`reply_for`).
    """
    if cn not in DATA_COMMANDS:
        msg = f"cn must be one of {sorted(DATA_COMMANDS)} (data uploads), got {cn!r}"
        raise SchemaError(msg)
    t = pd.Timestamp(time)
    qn = qn if qn is not None else t.strftime("%Y%m%d%H%M%S") + f"{t.microsecond // 1000:03d}"
    by_param = {p: c for c, p in code_table()["parameter"].items()}
    fld = DATA_COMMANDS[cn]
    groups = []
    for key, v in values.items():
        code = by_param.get(key, key)
        value, flag = (v, "N") if not isinstance(v, tuple) else v
        groups.append(f"{code}-{fld}={value:g},{code}-Flag={flag}")
    cp = f"DataTime={t.strftime('%Y%m%d%H%M%S')};" + ";".join(groups)
    flag_bits = (1 << 2) | (1 if ask_reply else 0)  # version 000001 = HJ 212-2017, bit A
    return frame(f"QN={qn};ST={st};CN={cn};PW={pw};MN={mn};Flag={flag_bits};CP=&&{cp}&&")


def reply_for(packet: Packet) -> bytes | None:
    """Return the answer the protocol asks for, or None when flag bit A is not set.

    A data upload (CN 2011/2051/2061/2031) is answered with a data response, CN 9014 (ST 91, system
    interaction) carrying the same QN, PW and MN: ``QN=…;ST=91;CN=9014;PW=…;MN=…;Flag=4;CP=&&&&``.
    A command from the other side (anything else) is answered with a request response, CN 9011
    (``QnRtn=1`` accepted).
    """
    if not packet.needs_reply:
        return None
    head = f"QN={packet.qn};ST=91;CN=%s;PW={packet.pw};MN={packet.mn};Flag=4;CP=&&%s&&"
    if packet.cn in DATA_COMMANDS:
        return frame(head % ("9014", ""))
    return frame(head % ("9011", "QnRtn=1"))


@functools.lru_cache(maxsize=4)
def code_table(path: str | None = None) -> pd.DataFrame:
    """Return the pollutant-code table (index ``code``; ``parameter``, ``name_zh``, ``unit``, ``source``).

    The shipped table ``hj212_codes.csv`` maps HJ 212-2017 Table B.1 codes to basin's canonical parameters; a
    CSV with the same columns given as ``path`` replaces it.
    """
    from basin.waterquality.standards import parameter_table

    if path is None:
        with (
            resources.files("basin.waterquality.feeds")
            .joinpath("hj212_codes.csv")
            .open(encoding="utf-8") as f
        ):
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
        where = "hj212_codes.csv"
    else:
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            msg = f"{path}: cannot read the HJ 212 code table: {exc}"
            raise DataError(msg) from exc
        where = str(path)
    lack = [c for c in ("code", "parameter") if c not in df.columns]
    if lack:
        msg = f"{where}: missing column(s) {lack} (expected code, parameter[, unit, name_zh, source])"
        raise SchemaError(msg)
    known = set(parameter_table().index)
    bad = sorted(set(df["parameter"]) - known)
    if bad:
        shown = ", ".join(sorted(known)[:8])
        msg = f"{where}: unknown parameter(s) {bad[:10]}; use basin's canonical names ({shown}, ...)"
        raise SchemaError(msg)
    return df.set_index("code")


def iter_packet_lines(source: str | os.PathLike[str] | Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    r"""Yield ``(line_number, raw_line)`` of a packet file, or of byte chunks (a stream) split at ``\\n``.

    Empty lines are skipped (their numbers still count).
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            msg = f"{path}: cannot read: {exc}"
            raise DataError(msg) from exc
        chunks: Iterable[bytes] = [data]
    else:
        chunks = source
    reader = PacketReader(max_buffer=1 << 30)
    for chunk in chunks:
        yield from reader.feed_lines(chunk)
    yield from reader.close_lines()


class PacketReader:
    r"""Split a byte stream into packet lines (``\\n``-terminated), bounded.

    A line longer than ``max_buffer`` without a newline is cut and returned as it is (it will fail to parse
    with its reason), so a peer cannot make the buffer grow without bound.
    """

    def __init__(self, *, max_buffer: int = 64 * 1024) -> None:
        self.buf = b""
        self.line = 0
        self.max_buffer = max_buffer

    def feed_lines(self, chunk: bytes) -> Iterator[tuple[int, bytes]]:
        """Add a chunk; yield ``(line_number, line)`` of every complete non-empty line."""
        data = self.buf + chunk if self.buf else chunk
        parts = data.split(b"\n")
        self.buf = parts.pop()  # the incomplete rest
        for part in parts:
            self.line += 1
            if part.strip():
                yield self.line, part + b"\n"
        if len(self.buf) > self.max_buffer:
            self.line += 1
            out, self.buf = self.buf, b""
            yield self.line, out

    def close_lines(self) -> Iterator[tuple[int, bytes]]:
        """Yield what is left in the buffer (a last line without newline) and empty it."""
        if self.buf.strip():
            self.line += 1
            out, self.buf = self.buf, b""
            yield self.line, out
        self.buf = b""


LONG_COLUMNS = ["station_id", "time", "parameter", "value", "flag", "status", "line"]
REJECT_COLUMNS = ["line", "reason", "packet"]


#: a well-formed data upload (the common case), checked and taken apart with Arrow's vectorised regexes; any
#: other packet goes through :func:`parse_packet` one by one for its exact reason
_FAST_PACKET = (
    r"^(?:QN=[^;&]*;)?ST=[^;&]*;CN=(?:2011|2051|2061|2031);(?:PW=[^;&]*;)?MN=[^;&]+;Flag=[0-9]+;"
    r"(?:PNUM=[0-9]+;PNO=[0-9]+;)?CP=&&DataTime=[0-9]{14}(?:;[A-Za-z0-9]+-[A-Za-z]+=[^;,&=]*"
    r"(?:,[A-Za-z0-9]+-[A-Za-z]+=[^;,&=]*)*)*&&$"
)


def _fast_items(segs: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray], pd.DataFrame]:
    """Return (well-formed mask, fields MN/CN/DataTime, items pkt/code/fld/val) of data segments."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(segs, type=pa.string())
    ok = np.asarray(pc.match_substring_regex(arr, _FAST_PACKET).fill_null(False))
    idx = np.flatnonzero(ok)
    sub = arr.take(pa.array(idx, type=pa.int64()))
    fields = {
        "mn": np.asarray(pc.extract_regex(sub, r"(?:^|;)MN=(?P<v>[^;]*);").field("v"), dtype=object),
        "cn": np.asarray(pc.extract_regex(sub, r"(?:^|;)CN=(?P<v>[0-9]+);").field("v"), dtype=object),
        "dt": np.asarray(pc.extract_regex(sub, r"CP=&&DataTime=(?P<v>[0-9]{14})").field("v"), dtype=object),
    }
    cp = pc.extract_regex(sub, r"CP=&&DataTime=[0-9]{14};?(?P<v>.*)&&$").field("v")
    groups = pc.split_pattern(cp, ";")
    g_flat = pc.list_flatten(groups)
    g_parent = np.asarray(pc.list_parent_indices(groups))
    kvs = pc.split_pattern(g_flat, ",")
    kv_flat = pc.list_flatten(kvs)
    kv_parent = g_parent[np.asarray(pc.list_parent_indices(kvs))] if len(kv_flat) else np.zeros(0, np.int64)
    parts = pc.extract_regex(kv_flat, r"^(?P<code>[A-Za-z0-9]+)-(?P<fld>[A-Za-z]+)=(?P<val>[^;,&=]*)$")
    items = pd.DataFrame(
        {
            "pkt": kv_parent.astype(np.int64),
            "code": np.asarray(parts.field("code"), dtype=object),
            "fld": np.asarray(parts.field("fld"), dtype=object),
            "val": np.asarray(parts.field("val"), dtype=object),
        }
    )
    items = items[items["code"].notna()]
    return ok, fields, items


def packets_to_long(
    lines: Iterable[tuple[int, bytes]],
    *,
    mn_map: dict[str, str] | None = None,
    codes: pd.DataFrame | None = None,
    check_crc: bool = True,
    fast: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Parse packet lines into the long table, the rejects and counts.

    Well-formed data uploads are checked and split with vectorised (Arrow) regular expressions; every other
    line goes through :func:`parse_packet` for its exact reason. Both paths give the same rows (tested;
    ``fast=False`` sends every line through :func:`parse_packet`).

    Returns
    -------
    (long, rejects, counts)
        ``long``: station_id, time, parameter, value, flag, status (empty), line, plus mn and code;
        ``rejects``: line, reason, packet (cut to 200 characters); ``counts``: ``lines`` (non-empty lines
        read), ``packets`` (lines that parsed as packets), ``data_packets`` (data uploads).
    """
    from basin.waterquality.standards import parameter_table

    table = code_table() if codes is None else codes
    to_param = table["parameter"].to_dict()
    params = parameter_table()
    rejects: list[tuple[int, str, str]] = []
    items = list(lines)
    n_parsed = 0
    n_data = 0
    # one vectorised CRC pass over the well-framed packets, then the parse without the CRC
    bodies = [raw.rstrip(b"\r\n") for _ln, raw in items]
    framed = [k for k, b in enumerate(bodies) if b[:2] == b"##" and len(b) >= 10 and b[2:6].isdigit()]
    crcs = np.full(len(items), -1, dtype=np.int64)
    if check_crc and framed:
        crcs[np.asarray(framed)] = crc16_many([bodies[k][6:-4] for k in framed])

    def reject(ln: int, reason: str, raw: bytes) -> None:
        rejects.append((ln, reason, raw.rstrip(b"\r\n")[:200].decode("utf-8", "replace")))

    # the fast path: framed, right length, CRC right, text, and the shape of a data upload
    cand: list[int] = []
    segs: list[str] = []
    for k in framed if fast else []:
        b = bodies[k]
        seg = b[6:-4]
        if int(b[2:6]) != len(seg):
            continue
        if check_crc:
            try:
                if int(b[-4:], 16) != crcs[k]:
                    continue
            except ValueError:
                continue
        try:
            segs.append(seg.decode("ascii"))
        except UnicodeDecodeError:
            continue
        cand.append(k)
    fast_ok, ff, fitems = _fast_items(segs) if segs else (np.zeros(0, bool), {}, pd.DataFrame())
    fast_k = np.asarray(cand, dtype=np.int64)[fast_ok] if len(cand) else np.zeros(0, np.int64)
    is_fast = np.zeros(len(items), dtype=bool)
    is_fast[fast_k] = True

    # per value: packet index, code, value text, flag; per packet: line, station, DataTime text
    v_pkt: list[int] = []
    v_code: list[str] = []
    v_txt: list[str] = []
    v_flag: list[str] = []
    p_line: list[int] = []
    p_sid: list[str] = []
    p_mn: list[str] = []
    p_time: list[str] = []
    p_raw: list[bytes] = []
    if len(fast_k):
        n_parsed += len(fast_k)
        n_data += len(fast_k)
        mns = ff["mn"]
        if mn_map is not None:
            sid = pd.Series(mns, dtype=object).map(mn_map).to_numpy(object)
            known = pd.notna(sid)
            for j in np.flatnonzero(~known).tolist():
                k = int(fast_k[j])
                reject(
                    items[k][0],
                    f"unknown station code MN={mns[j][:_SHOW]!r} (not in the stations' mn column)",
                    items[k][1],
                )
        else:
            sid = mns
            known = np.ones(len(mns), dtype=bool)
        keep = np.flatnonzero(known)
        remap = np.full(len(mns), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        p_line = [items[int(fast_k[j])][0] for j in keep.tolist()]
        p_sid = list(sid[keep])
        p_mn = list(mns[keep])
        p_time = list(ff["dt"][keep])
        p_raw = [items[int(fast_k[j])][1] for j in keep.tolist()]
        it = fitems[known[fitems["pkt"].to_numpy()]] if len(fitems) else fitems
        if len(it):
            want_f = np.where(ff["cn"] == "2011", "Rtd", "Avg")
            fv = it[it["fld"].isin(["Rtd", "Avg"])]
            pref = (fv["fld"].to_numpy(object) == want_f[fv["pkt"].to_numpy()]).astype(np.int8)
            fv = fv.assign(pref=pref).sort_values(["pkt", "pref"], kind="stable")
            fv = fv.drop_duplicates(["pkt", "code"], keep="last").sort_index(kind="stable")
            f_flags = it[it["fld"] == "Flag"].drop_duplicates(["pkt", "code"], keep="last")
            fl = fv.merge(
                f_flags[["pkt", "code", "val"]].rename(columns={"val": "flag"}),
                on=["pkt", "code"],
                how="left",
            )
            flag_f = fl["flag"].fillna("N").to_numpy(object)
            flag_f[flag_f == ""] = "N"
            v_pkt = remap[fl["pkt"].to_numpy()].tolist()
            v_code = fl["code"].to_numpy(object).tolist()
            v_txt = fl["val"].to_numpy(object).tolist()
            v_flag = flag_f.tolist()
    for k, (ln, raw) in enumerate(items):
        if is_fast[k]:
            continue
        try:
            p = parse_packet(raw, line=ln, check_crc=False)
        except PacketError as exc:
            reject(ln, exc.reason, raw)
            continue
        if check_crc:
            given = int(bodies[k][-4:], 16)
            if given != crcs[k]:
                reject(ln, f"bad CRC: packet says {given:04X}, data segment gives {int(crcs[k]):04X}", raw)
                continue
        n_parsed += 1
        want = DATA_COMMANDS.get(p.cn)
        if want is None:
            continue  # not a data upload (heartbeat, command): nothing to store, not an error
        n_data += 1
        if mn_map is not None:
            sid_k = mn_map.get(p.mn)
            if sid_k is None:
                reject(ln, f"unknown station code MN={p.mn[:_SHOW]!r} (not in the stations' mn column)", raw)
                continue
        else:
            sid_k = p.mn
        dt_txt = ""
        vals: dict[str, str] = {}
        flags: dict[str, str] = {}
        bad = None
        for group in p.cp.split(";"):
            if group.startswith("DataTime="):
                dt_txt = group[9:]
                continue
            for kv in group.split(","):
                key, eq, value = kv.partition("=")
                if not eq:
                    if kv:
                        bad = f"CP item {kv[:_SHOW]!r} is not KEY=VALUE"
                    continue
                code, _dash, fld = key.partition("-")
                if fld == want or (fld in ("Rtd", "Avg") and code not in vals):
                    vals[code] = value
                elif fld == "Flag":
                    flags[code] = value
        if bad is not None:
            reject(ln, bad, raw)
            continue
        if not dt_txt:
            reject(ln, "no DataTime", raw)
            continue
        j = len(p_line)
        p_line.append(ln)
        p_sid.append(sid_k)
        p_mn.append(p.mn)
        p_time.append(dt_txt)
        p_raw.append(raw)
        for code, value in vals.items():
            v_pkt.append(j)
            v_code.append(code)
            v_txt.append(value)
            v_flag.append(flags.get(code, "N") or "N")
    # times, once per packet (vectorised); a packet with a bad time is rejected whole
    t_txt = pd.Series(p_time, dtype=object)
    times = pd.to_datetime(t_txt, format="%Y%m%d%H%M%S", errors="coerce").to_numpy("datetime64[ns]")
    bad_t = np.isnat(times) if len(times) else np.zeros(0, dtype=bool)
    for j in np.flatnonzero(bad_t).tolist():
        reject(p_line[j], f"DataTime {p_time[j][:_SHOW]!r} is not YYYYMMDDhhmmss", p_raw[j])
    vp = np.asarray(v_pkt, dtype=np.int64)
    code_s = pd.Series(v_code, dtype=object)
    param = code_s.map(to_param).to_numpy(object)
    value = pd.to_numeric(pd.Series(v_txt, dtype=object), errors="coerce").to_numpy(float)
    flag = np.asarray(v_flag, dtype=object)
    lo = pd.Series(param, dtype=object).map(params["min"]).to_numpy(float)
    hi = pd.Series(param, dtype=object).map(params["max"]).to_numpy(float)
    keep = ~bad_t[vp] if len(vp) else np.zeros(0, dtype=bool)
    unknown = pd.isna(param) & keep
    nonnum = ~np.isfinite(value) & keep & ~unknown
    badflag = ~np.isin(flag, list(DATA_FLAGS)) & keep & ~unknown & ~nonnum
    with np.errstate(invalid="ignore"):
        out = (np.nan_to_num(value) < np.where(np.isnan(lo), -np.inf, lo)) | (
            np.nan_to_num(value) > np.where(np.isnan(hi), np.inf, hi)
        )
    out &= keep & ~unknown & ~nonnum & ~badflag
    for i in np.flatnonzero(unknown | nonnum | badflag | out).tolist():
        j = int(vp[i])
        c = v_code[i]
        if unknown[i]:
            why = f"pollutant code {c[:_SHOW]!r} is not in the HJ 212 code table"
        elif nonnum[i]:
            why = f"{c} value {v_txt[i][:_SHOW]!r} is not a number"
        elif badflag[i]:
            why = f"{c}-Flag {flag[i][:_SHOW]!r} is not an HJ 212 data flag ({', '.join(DATA_FLAGS)})"
        else:
            what = "negative concentration" if value[i] < 0 and lo[i] == 0 else "outside the plausible range"
            why = f"{c} ({param[i]}) value {v_txt[i][:_SHOW]} {what} {lo[i]:g}-{hi[i]:g}"
        reject(p_line[j], why, p_raw[j])
    ok = keep & ~unknown & ~nonnum & ~badflag & ~out
    idx = vp[ok]
    long = pd.DataFrame(
        {
            "station_id": np.asarray(p_sid, dtype=object)[idx] if len(idx) else np.zeros(0, dtype=object),
            "time": times[idx] if len(idx) else np.zeros(0, dtype="datetime64[ns]"),
            "parameter": param[ok],
            "value": value[ok],
            "flag": flag[ok],
            "status": "",
            "line": np.asarray(p_line, dtype=np.int64)[idx] if len(idx) else np.zeros(0, dtype=np.int64),
            "mn": np.asarray(p_mn, dtype=object)[idx] if len(idx) else np.zeros(0, dtype=object),
            "code": code_s.to_numpy(object)[ok],
        }
    )
    long = long.sort_values("line", kind="stable").reset_index(drop=True)  # file order (fast path first)
    rej = pd.DataFrame(sorted(rejects, key=lambda r: r[0]), columns=REJECT_COLUMNS)
    return long, rej, {"lines": len(items), "packets": n_parsed, "data_packets": n_data}

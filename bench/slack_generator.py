"""A synthetic Slack workspace export for tests and benchmarks. Pure Python: no Django.

generate_export(folder, messages=1_000_000, channels=50) writes users.json, channels.json and one
folder per channel with day files (YYYY-MM-DD.json, named after the UTC date of their messages).
Day files are written as soon as a day is complete, so memory stays at one day's messages.

The export holds threads (some replies land in a later day file than their parent, a few are
thread_broadcast), bot messages with legacy attachments, edited messages, pinned messages, file
shares whose private URLs carry a fake access token (`?t=xoxe-…`, which a parser must drop),
and user / channel / user-group mentions. It holds no join/leave or deleted messages, so every
message written is one event parsed back.
"""

from __future__ import annotations

import json
import random
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

START = datetime(2024, 1, 1, tzinfo=UTC)
TEAM_DOMAIN = "synthetic-workspace"
FIRST_NAMES = (
    "Priya",
    "Jonas",
    "Amara",
    "Wei",
    "Lucía",
    "Tomasz",
    "Aiko",
    "Kwame",
    "Sofia",
    "Mateo",
    "Noor",
    "Elif",
    "Ravi",
    "Hana",
    "Omar",
    "Greta",
)
LAST_NAMES = (
    "Raman",
    "Berg",
    "Okafor",
    "Chen",
    "García",
    "Nowak",
    "Tanaka",
    "Mensah",
    "Rossi",
    "Silva",
    "Haddad",
    "Yilmaz",
    "Iyer",
    "Kim",
    "Farouk",
    "Lind",
)
WORDS = (
    "deploy rollback latency p99 errors database replica failover cache queue backlog alert pager "
    "dashboard canary traffic region timeout retry upstream downstream certificate dns config flag "
    "customer impact mitigated investigating restarted scaled throttled memory cpu disk saturation "
    "lag consumer producer shard node pod cluster ingress gateway checkout login search billing"
).split()
BOTS = (("B0000DEPLOY", "deploy-bot"), ("B0000ALERTS", "Alertmanager"), ("B0000CIBOTS", "ci"))


@dataclass(frozen=True)
class GeneratedExport:
    folder: Path
    messages: int  # messages written, each of which parses to one event
    day_files: int
    threads: int
    replies: int
    bot_messages: int
    files: int
    pinned: int
    edited: int


def _ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def generate_export(folder: Path, *, messages: int, channels: int, users: int = 200, seed: int = 0) -> GeneratedExport:
    if messages < 0 or channels < 1 or users < 1:
        raise ValueError("messages >= 0, channels >= 1 and users >= 1 are required")
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    user_ids = [f"U{index:08d}" for index in range(users)]
    user_list = []
    for index, user_id in enumerate(user_ids):
        first, last = FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
        handle = f"{first.lower()}.{last.lower()}{index}"
        real = f"{first} {last}" + (f" {index}" if index >= len(FIRST_NAMES) * len(LAST_NAMES) else "")
        user_list.append(
            {
                "id": user_id,
                "team_id": "T00000000",
                "name": handle,
                "real_name": real,
                "deleted": False,
                "is_bot": False,
                "profile": {"real_name": real, "display_name": handle},
            }
        )
    for bot_id, bot_name in BOTS:
        user_list.append(
            {
                "id": "U" + bot_id[1:],
                "name": bot_name,
                "real_name": bot_name,
                "is_bot": True,
                "profile": {"bot_id": bot_id, "real_name": bot_name},
            }
        )
    (folder / "users.json").write_text(json.dumps(user_list, ensure_ascii=False, indent=1), encoding="utf-8")

    channel_list = [
        {
            "id": f"C{index:08d}",
            "name": f"inc-{index:03d}-{WORDS[index % len(WORDS)]}",
            "created": str(int(START.timestamp())),
            "is_archived": False,
            "members": user_ids[:20],
        }
        for index in range(channels)
    ]
    (folder / "channels.json").write_text(json.dumps(channel_list, ensure_ascii=False, indent=1), encoding="utf-8")

    counts = {"day_files": 0, "threads": 0, "replies": 0, "bot_messages": 0, "files": 0, "pinned": 0, "edited": 0}
    base, extra = divmod(messages, channels)
    for channel_index, channel in enumerate(channel_list):
        _write_channel(folder, channel, channel_list, user_ids, base + (1 if channel_index < extra else 0), rng, counts)
    return GeneratedExport(folder=folder, messages=messages, **counts)


def _text(rng: random.Random, user_ids: list[str], channel_list: list[dict]) -> str:
    words = rng.choices(WORDS, k=rng.randint(4, 18))
    roll = rng.random()
    if roll < 0.15:
        words.insert(0, f"<@{rng.choice(user_ids)}>")
    elif roll < 0.18:
        other = rng.choice(channel_list)
        words.append(f"see <#{other['id']}|{other['name']}>")
    elif roll < 0.20:
        words.insert(0, "<!subteam^S0000ONCALL|@oncall>")
    elif roll < 0.22:
        words.append("<https://status.example.com/incidents/42|status page>")
    elif roll < 0.23:
        words.insert(0, "<!here>")
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _write_channel(
    folder: Path,
    channel: dict,
    channel_list: list[dict],
    user_ids: list[str],
    count: int,
    rng: random.Random,
    counts: dict,
) -> None:
    channel_dir = folder / channel["name"]
    channel_dir.mkdir(exist_ok=True)
    now = int(START.timestamp() * 1_000_000) + rng.randrange(0, 86_400_000_000)
    day: list[dict] = []
    day_key = ""
    parents: deque[str] = deque(maxlen=12)

    def flush() -> None:
        if day:
            (channel_dir / f"{day_key}.json").write_text(
                json.dumps(day, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
            )
            counts["day_files"] += 1

    for _ in range(count):
        now += rng.randrange(1, 400_000_000)  # up to 400 s between messages, microsecond precision
        key = datetime.fromtimestamp(now / 1_000_000, UTC).strftime("%Y-%m-%d")
        if key != day_key:
            flush()
            day, day_key = [], key
        ts = _ts(now)
        roll = rng.random()
        if roll < 0.08:
            bot_id, bot_name = rng.choice(BOTS)
            message = {
                "type": "message",
                "subtype": "bot_message",
                "bot_id": bot_id,
                "username": bot_name,
                "text": "",
                "ts": ts,
                "attachments": [
                    {
                        "fallback": f"{bot_name}: {rng.choice(WORDS)} {rng.choice(WORDS)}",
                        "title": (
                            f"{rng.choice(('Deploy', 'Alert', 'Build'))} #{rng.randrange(1, 99999)} "
                            f"{rng.choice(('started', 'firing', 'finished', 'resolved'))}"
                        ),
                        "title_link": f"https://ci.example.com/runs/{rng.randrange(1, 10**9)}",
                        "text": " ".join(rng.choices(WORDS, k=8)),
                    }
                ],
            }
            counts["bot_messages"] += 1
        else:
            user = rng.choice(user_ids)
            message = {"type": "message", "user": user, "text": _text(rng, user_ids, channel_list), "ts": ts}
            if roll < 0.18:
                message["thread_ts"] = ts
                parents.append(ts)
                counts["threads"] += 1
            elif roll < 0.43 and parents:
                message["thread_ts"] = rng.choice(parents)
                message["parent_user_id"] = rng.choice(user_ids)
                if rng.random() < 0.05:
                    message["subtype"] = "thread_broadcast"
                counts["replies"] += 1
            extra = rng.random()
            if extra < 0.05:
                message["edited"] = {"user": user, "ts": _ts(now + 60_000_000)}
                counts["edited"] += 1
            elif extra < 0.08:
                file_id = f"F{rng.randrange(16**9):09X}"
                name = f"{rng.choice(WORDS)}-{rng.randrange(1000)}.{rng.choice(('png', 'log', 'txt', 'pdf'))}"
                mimetype = {"png": "image/png", "log": "text/plain", "txt": "text/plain", "pdf": "application/pdf"}[
                    name.rsplit(".", 1)[1]
                ]
                message["files"] = [
                    {
                        "id": file_id,
                        "name": name,
                        "title": name,
                        "mimetype": mimetype,
                        "url_private": f"https://files.slack.com/files-pri/T00000000-{file_id}/{name}?t=xoxe-1-synthetic-{file_id.lower()}",
                        "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{user}/{file_id}/{name}",
                    }
                ]
                counts["files"] += 1
            elif extra < 0.09:
                message["pinned_to"] = [channel["id"]]
                counts["pinned"] += 1
        day.append(message)
    flush()

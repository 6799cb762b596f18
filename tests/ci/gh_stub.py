"""A stand-in for the `gh` CLI over a fake GitHub kept in a folder ($FAKE_GITHUB).

Only the calls karto-smtp's workflow makes: issue comments (list, add, edit), the pull
request of a commit, workflow runs (list) and their artifacts (download). `--jq` filters
go through the real `jq`, as `gh` applies them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(os.environ["FAKE_GITHUB"])
STATE = ROOT / "state.json"


def load() -> dict[str, Any]:
    return json.loads(STATE.read_text())


def save(state: dict[str, Any]) -> None:
    STATE.write_text(json.dumps(state, indent=2))


def option(args: list[str], name: str) -> str | None:
    if name in args:
        index = args.index(name)
        value = args[index + 1]
        del args[index : index + 2]
        return value
    return None


def flag(args: list[str], name: str) -> bool:
    if name in args:
        args.remove(name)
        return True
    return False


def emit(value: Any, jq: str | None) -> None:
    text = json.dumps(value)
    if jq is None:
        print(text)
        return
    result = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"gh: jq failed: {result.stderr}")
    sys.stdout.write(result.stdout)


def api(args: list[str]) -> None:
    method = option(args, "--method") or "GET"
    jq = option(args, "--jq")
    flag(args, "--paginate")
    fields: dict[str, str] = {}
    while (field := option(args, "-F")) is not None:
        name, _, value = field.partition("=")
        fields[name] = Path(value[1:]).read_text() if value.startswith("@") else value
    (path,) = args
    parts = path.split("/")
    state = load()
    state["calls"].append(f"{method} {path}")
    if parts[3:4] == ["issues"] and parts[-1] == "comments" and parts[4] != "comments":
        comments = state["comments"].setdefault(parts[4], [])
        if method == "POST":
            state["next_id"] += 1
            comments.append({"id": state["next_id"], "body": fields["body"]})
            save(state)
            return emit(comments[-1], jq)
        save(state)
        return emit(comments, jq)
    if parts[3:5] == ["issues", "comments"] and method == "PATCH":
        for comments in state["comments"].values():
            for comment in comments:
                if str(comment["id"]) == parts[5]:
                    comment["body"] = fields["body"]
                    save(state)
                    return emit(comment, jq)
        sys.exit("gh: HTTP 404: Not Found")
    if parts[3] == "commits" and parts[5] == "pulls":
        save(state)
        return emit([{"number": n} for n in state["merged"].get(parts[4], [])], jq)
    if parts[3] == "pulls":
        save(state)
        return emit({"number": int(parts[4]), "head": {"sha": state["heads"][parts[4]]}}, jq)
    sys.exit(f"gh: the fake GitHub does not serve {method} {path}")


def run(args: list[str]) -> None:
    verb = args.pop(0)
    state = load()
    state["calls"].append(f"run {verb}")
    save(state)
    option(args, "--repo")
    if verb == "list":
        workflow = option(args, "--workflow")
        commit = option(args, "--commit")
        event = option(args, "--event")
        status = option(args, "--status")
        limit = int(option(args, "--limit") or 20)
        option(args, "--json")
        jq = option(args, "--jq")
        runs = [
            {"databaseId": r["id"]}
            for r in reversed(state["runs"])
            if r["workflow"] == workflow
            and r["head_sha"] == commit
            and r["event"] == event
            and r["conclusion"] == status
        ][:limit]
        return emit(runs, jq)
    if verb == "download":
        name = option(args, "--name")
        folder = Path(option(args, "--dir") or ".")
        (run_id,) = args
        source = ROOT / "artifacts" / run_id / str(name)
        if not source.is_dir():
            sys.exit(f"gh: no artifact named {name} in run {run_id}")
        shutil.copytree(source, folder, dirs_exist_ok=True)
        return None
    sys.exit(f"gh: run {verb} is not served by the fake GitHub")


def main() -> None:
    args = sys.argv[1:]
    command = args.pop(0)
    if command == "api":
        api(args)
    elif command == "run":
        run(args)
    else:
        sys.exit(f"gh: {command} is not served by the fake GitHub")


if __name__ == "__main__":
    main()

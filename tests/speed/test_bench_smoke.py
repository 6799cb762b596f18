"""The speed bench runs end to end (one round, 1 and 3 projects): counts, not timings."""

from __future__ import annotations

import json

from bench import speed


def test_the_bench_runs_and_counts_what_it_claims(tmp_path, capsys):
    results = speed.main(["--smoke", "--json", str(tmp_path / "results.json")])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["requests"] == {
        "plan, 1 project": {
            "total": 3,
            "most_per_object": 1,
            "by_service": {"smtp2go": 2, "supabase": 1},
            "calls": [
                "GET /v1/projects/kartobenchaaaaaaaaaa/config/auth",
                "POST /v3/single_sender_emails/view",
                "POST /v3/users/smtp/view",
            ],
        },
        "plan, 3 projects": {
            "total": 5,
            "most_per_object": 1,
            "by_service": {"smtp2go": 2, "supabase": 3},
            "calls": [
                "GET /v1/projects/kartobenchaaaaaaaaaa/config/auth",
                "GET /v1/projects/kartobenchaaaaaaaaab/config/auth",
                "GET /v1/projects/kartobenchaaaaaaaaac/config/auth",
                "POST /v3/single_sender_emails/view",
                "POST /v3/users/smtp/view",
            ],
        },
    }
    flight = saved["in_flight"]["plan, 3 projects, 10 ms"]
    assert (flight["smtp2go"]["requests"], flight["smtp2go"]["max_in_flight"]) == (2, 2)
    assert (flight["supabase"]["requests"], flight["supabase"]["max_in_flight"]) == (3, 3)
    assert set(results.series) == {
        "1 project: plan",
        "1 project: import dependencies",
        "1 project: validate floor",
        "1 project: validate",
        "1 project: --version",
        "plan, 1 project, 10 ms",
        "plan, 3 projects, 10 ms",
        "plan, 3 projects, bound 1, 10 ms",
    }
    for figures in results.series.values():
        assert len(figures["seconds"]) == 1
        assert 10_000 < figures["peak_rss_kb"] < 200_000
    assert set(results.ratios) == {
        "plan / import dependencies",
        "validate / plan",
        "validate / validate floor",
        "plan 3 / 1 projects at 10 ms",
        "the same, Supabase bound 1 (4 waves; default 100)",
    }
    report = capsys.readouterr().out
    assert "| ratio | of medians | median of per-round ratios | target |" in report
    assert "| plan, 3 projects | 5 | smtp2go 2, supabase 3 | 1 |" in report

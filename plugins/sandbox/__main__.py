"""`python -m plugins.sandbox --seed 1 --population 100000 [--out DIR]`: build a city, say what it holds.

With `--out`, the city is also written for the command-line tools: `schools.json`,
`catchments.json` (the import format of schemas/catchments.schema.json) and
`applications.jsonl` (one `{"id", "facts", "scenario", "expected"}` per pupil, the input of
`xuewei classify`).
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from plugins.sandbox.city import City, generate_city


def write_city(city: City, folder: Path) -> None:
    """Write the city's schools, catchments and applications as files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schools.json").write_text(json.dumps(city.schools, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "catchments.json").write_text(json.dumps(city.catchments, ensure_ascii=False, indent=1),
                                            encoding="utf-8")
    with open(folder / "applications.jsonl", "w", encoding="utf-8") as out:
        for family in city.families:
            out.write(json.dumps({"id": family.pupil_id, "facts": family.facts, "scenario": family.scenario,
                                  "expected": family.expected}, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Generate a city and print its size, the time it took and the kinds of family in it."""
    parser = argparse.ArgumentParser(prog="python -m plugins.sandbox", description=main.__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--population", type=int, default=100_000)
    parser.add_argument("--out", type=Path, help="write schools, catchments and applications here")
    args = parser.parse_args(argv)
    wall, cpu = time.perf_counter(), time.process_time()
    city = generate_city(args.seed, args.population)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if args.out:
        write_city(city, args.out)
    expected = Counter(family.expected for family in city.families)
    print(json.dumps({"seed": args.seed, "pupils": len(city.families),
                      "middle_schools": len(city.school_map.middle), "primary_schools": len(city.school_map.primary),
                      "seconds_wall": round(wall, 2), "seconds_cpu": round(cpu, 2),
                      "expected_outcomes": dict(sorted(expected.items()))}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

"""Build route7.json (the eval corpus format) from tasks_[abcd].txt: ``m | title | description | why`` a line."""

import json
import re
from pathlib import Path

HERE = Path(__file__).parent
MASTERS = {"s": "security", "d": "development", "i": "inventory", "c": "cicd"}
records = []
for name in "abcd":
    for line in (HERE / f"tasks_{name}.txt").read_text().splitlines():
        if line.strip():
            m, title, description, why = (p.strip() for p in re.split(r" ?\| ?", line))
            records.append({"label": {"decision": "simple", "master": MASTERS[m], "why": why},
                            "task": {"id": f"r7-{len(records) + 1:03d}", "title": title,
                                     "description": description.replace("\\n", "\n"), "status": "pending"}})
(HERE / "route7.json").write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
print(len(records))

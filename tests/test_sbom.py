"""The software bill of materials names every runtime dependency with its version and purl.

`make sbom` builds it from the plain-install venv; here the same tool runs over the test
environment, which holds every runtime dependency too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_sbom_lists_every_runtime_dependency(tmp_path):
    out = tmp_path / "sbom.json"
    tool = Path(sys.executable).with_name("cyclonedx-py")
    subprocess.run([str(tool), "environment", "--pyproject", str(ROOT / "pyproject.toml"),
                    "--of", "JSON", "--output-reproducible", "-o", str(out), sys.executable],
                   check=True, capture_output=True, timeout=300)
    sbom = json.loads(out.read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    root = sbom["metadata"]["component"]
    assert root["name"] == "safehands"
    components = {_normal(c["name"]): c for c in sbom["components"]}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in declared:
        name = _normal(re.split(r"[<>=\[; ]", requirement, maxsplit=1)[0])
        component = components.get(name)
        assert component is not None, f"{name} is missing from the SBOM"
        assert component.get("version") and component.get("purl", "").startswith("pkg:pypi/")

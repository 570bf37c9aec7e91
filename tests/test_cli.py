"""The `articles` command's small subcommands, as a user calls them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from flows.cli import main

ARTICLES = Path(sys.executable).parent / "articles"


def test_detect_language_reads_stdin_and_prints_code_and_confidence():
    text = "Bakı şəhərində yeni park açılıb\nThe minister said talks would continue\n12345\n"
    proc = subprocess.run(
        [str(ARTICLES), "detect-language"], input=text, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert [code for code, _ in rows] == ["az", "en", "und"]
    assert all(0.0 <= float(score) <= 1.0 for _, score in rows)


def test_detect_language_reads_a_file(tmp_path, capsys):
    f = tmp_path / "lines.txt"
    f.write_text("Министр заявил о переговорах в Баку\n", encoding="utf-8")
    assert main(["detect-language", str(f)]) == 0
    code, score = capsys.readouterr().out.strip().split("\t")
    assert code == "ru" and float(score) > 0.5


def test_models_list_on_an_empty_directory_says_how_to_install(tmp_path, capsys):
    assert main(["models", "--packages-dir", str(tmp_path / "none"), "list"]) == 0
    out = capsys.readouterr().out
    assert "no packages" in out and "articles models install" in out


def test_models_install_rejects_a_flat_zip_and_installs_nothing(tmp_path, capsys):
    bad = tmp_path / "translate-az_en-1_0.argosmodel"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("metadata.json", '{"from_code": "az", "to_code": "en"}')
    pdir = tmp_path / "packages"
    assert main(["models", "--packages-dir", str(pdir), "install", str(bad)]) == 1
    err = capsys.readouterr().err
    assert bad.name in err
    assert not pdir.exists() or not [p for p in pdir.iterdir() if not p.name.startswith(".")]


def test_server_status_on_a_free_port_exits_3(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ARTICLES_STATE_DIR", str(tmp_path))
    assert main(["server", "status", "--port", "1"]) == 3
    assert "not running" in capsys.readouterr().out

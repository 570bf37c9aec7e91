"""Every Argos index layout installs, lists and translates; argospm and argostranslate keep
working beside us (checked with argostranslate's own package.get_installed_packages())."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from argos_builder import SIX_KEYS, build_package  # noqa: E402
from argos_glossary import AZ_EN, RU_EN, build_glossary_package, expected_english  # noqa: E402

from tasks import translate as tr  # noqa: E402
from tasks.argos_packages import (  # noqa: E402
    clean_leftovers,
    default_packages_dir,
    version_key,
)
from tasks.config import Settings  # noqa: E402

# (layout, tokenizer, stanza folder, zip directory entries): what the index serves.
LAYOUTS = {
    # translate-az_en 1.5 (December 2021): CTranslate2 2.x, stanza/, no directory entries
    "ct2-2-sp-stanza-flatzip": ("ct2-2", "sentencepiece", True, False),
    "ct2-3-sp": ("ct2-3", "sentencepiece", False, True),
    "ct2-3-sp-stanza": ("ct2-3", "sentencepiece", True, True),
    "ct2-3-bpe": ("ct2-3", "bpe", False, True),  # OPUS-MT conversions
    "ct2-2-bpe-flatzip": ("ct2-2", "bpe", False, False),
}
AZ_TEXT = "Bakı şəhərində yeni park açılıb. Prezident bu gün nazir görüş keçirib!"
RU_TEXT = "Москва сегодня министр провел встречу. Цена нефти выросла, и новый парк открыт!"


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("layouts")
    out = {}
    for key, (layout, tokenizer, stanza, dir_entries) in LAYOUTS.items():
        src, glossary_lang = ("ru", "ru") if tokenizer == "bpe" else ("az", "az")
        out[key] = build_glossary_package(
            d / key,
            glossary_lang,
            "en",
            version="1.5" if src == "az" else "1.9",
            tokenizer=tokenizer,
            layout=layout,
            stanza=stanza,
            dir_entries=dir_entries,
        )
    return out


def _names(package: Path) -> list[str]:
    with zipfile.ZipFile(package) as zf:
        return zf.namelist()


def test_built_layouts_are_the_index_layouts(layouts):
    old = _names(layouts["ct2-2-sp-stanza-flatzip"])
    top = "translate-az_en-1_5/"
    assert not any(n.endswith("/") for n in old)  # no directory entries
    assert top + "model/model.bin" in old and top + "model/shared_vocabulary.txt" in old
    assert top + "model/config.json" not in old
    assert any(n.startswith(top + "stanza/") for n in old)
    # model.bin is CTranslate2 2.x's binary version 5
    with zipfile.ZipFile(layouts["ct2-2-sp-stanza-flatzip"]) as zf:
        assert zf.read(top + "model/model.bin")[:4] == (5).to_bytes(4, "little")
        meta = json.loads(zf.read(top + "metadata.json"))
    assert tuple(meta) == SIX_KEYS
    new = _names(layouts["ct2-3-bpe"])
    top = "translate-ru_en-1_9/"
    assert top + "bpe.model" in new and top + "model/config.json" in new
    assert top + "model/shared_vocabulary.json" in new


@pytest.mark.parametrize("key", sorted(LAYOUTS))
def test_every_layout_installs_lists_and_translates(layouts, key, tmp_path):
    pdir = tmp_path / "packages"
    info = tr.install_package(layouts[key], pdir)
    layout, tokenizer, _stanza, _entries = LAYOUTS[key]
    assert (info.layout, info.tokenizer) == (layout, tokenizer)
    assert [(p.id, p.layout) for p in tr.list_packages(pdir)] == [(info.id, layout)]
    settings = Settings.load(argos_packages_dir=pdir, cache_dir=tmp_path / "cache")
    text, glossary = (RU_TEXT, RU_EN) if tokenizer == "bpe" else (AZ_TEXT, AZ_EN)
    sentences = tr.split_sentences(text)
    outs = tr.translate_texts(info, sentences, settings)
    assert [o.text for o in outs] == [expected_english(s, glossary) for s in sentences]
    tr.clear_model_cache()


@pytest.mark.parametrize("key", ["ct2-2-sp-stanza-flatzip", "ct2-3-bpe"])
def test_argospm_unpacked_package_is_listed_and_translates(layouts, key, tmp_path):
    """argospm's install_from_path is ``ZipFile.extractall(packages_dir)``: no validation, no
    staging. What it leaves is a package for us."""
    pdir = tmp_path / "packages"
    pdir.mkdir()
    with zipfile.ZipFile(layouts[key]) as zf:
        zf.extractall(pdir)
    (info,) = tr.list_packages(pdir)
    settings = Settings.load(argos_packages_dir=pdir, cache_dir=tmp_path / "cache")
    text, glossary = (RU_TEXT, RU_EN) if info.tokenizer == "bpe" else (AZ_TEXT, AZ_EN)
    (out,) = tr.translate_texts(info, [text.split(". ")[0] + "."], settings)
    assert out.text == expected_english(text.split(". ")[0] + ".", glossary)
    tr.clear_model_cache()


def _argos_list(pdir: Path, home: Path) -> list[str]:
    """argostranslate's own view of ``pdir`` (in a subprocess: its settings are read at
    import; it must not touch the real home)."""
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "ARGOS_PACKAGES_DIR": str(pdir),
    }
    code = (
        "from argostranslate import package\n"
        "print('\\n'.join(sorted(f'{p.from_code}_{p.to_code}@{p.package_version}'"
        " for p in package.get_installed_packages())))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout.split()


def test_argostranslate_lists_what_we_install_and_survives_killed_installs(layouts, tmp_path):
    pdir = tmp_path / "packages"
    tr.install_package(layouts["ct2-2-sp-stanza-flatzip"], pdir)
    tr.install_package(layouts["ct2-3-bpe"], pdir)
    assert sorted(p.name for p in pdir.iterdir()) == [
        "translate-az_en-1_5",
        "translate-ru_en-1_9",
    ]  # nothing of ours inside: argostranslate lists every folder there
    assert _argos_list(pdir, tmp_path / "home") == ["az_en@1.5", "ru_en@1.9"]

    # A killed install (its process is gone) left a staging folder beside the packages, and an
    # older version of ours left .installing-/.removing- folders inside: the next install
    # removes them all, and argostranslate lists the packages again.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    staging = tmp_path / ".packages.staging" / f"installing-{dead.pid}-0123456789ab"
    (staging / "translate-xx_en").mkdir(parents=True)
    for legacy in (".installing-abc", ".removing-def"):
        (pdir / legacy / "model").mkdir(parents=True)
    with pytest.raises(AssertionError):
        _argos_list(pdir, tmp_path / "home")  # argostranslate crashes on such a folder
    info = tr.install_package(layouts["ct2-3-sp"], pdir)  # replaces az_en 1.5 (same pair)
    assert info.model_id == "az_en@1.5"
    assert not staging.exists()
    assert not (tmp_path / ".packages.staging").exists()
    assert sorted(p.name for p in pdir.iterdir()) == [
        "translate-az_en-1_5",
        "translate-ru_en-1_9",
    ]
    assert _argos_list(pdir, tmp_path / "home") == ["az_en@1.5", "ru_en@1.9"]
    assert tr.remove_package("ru", pdir) == "ru_en@1.9"
    assert _argos_list(pdir, tmp_path / "home") == ["az_en@1.5"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "packages"]


def test_clean_leftovers_keeps_a_live_install(tmp_path):
    pdir = tmp_path / "packages"
    pdir.mkdir()
    live = tmp_path / ".packages.staging" / f"installing-{os.getppid()}-0123456789ab"
    live.mkdir(parents=True)
    assert clean_leftovers(pdir) == []
    assert live.exists()


def test_settings_json_chooses_the_packages_dir_as_for_argos(tmp_path, monkeypatch):
    home = tmp_path / "home"
    wanted = tmp_path / "elsewhere" / "packages"
    (home / "config" / "argos-translate").mkdir(parents=True)
    (home / "config" / "argos-translate" / "settings.json").write_text(
        json.dumps({"ARGOS_PACKAGES_DIR": str(wanted)})
    )
    monkeypatch.delenv("ARGOS_PACKAGES_DIR", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    assert default_packages_dir() == wanted
    assert Settings.load().argos_packages_dir == wanted
    env = {k: v for k, v in os.environ.items() if k != "ARGOS_PACKAGES_DIR"}
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            "from argostranslate import settings; print(settings.package_data_dir)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.stdout.strip() == str(wanted), res.stderr[-2000:]
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "env"))
    assert default_packages_dir() == tmp_path / "env"  # the environment wins, as for Argos
    (home / "config" / "argos-translate" / "settings.json").unlink()
    monkeypatch.delenv("ARGOS_PACKAGES_DIR")
    assert default_packages_dir() == home / "data" / "argos-translate" / "packages"


def test_versions_compare_as_argos_does(tmp_path):
    assert version_key("1.0b1") < version_key("1.0") < version_key("1.9") < version_key("1.10")
    assert version_key("not a version") < version_key("0.1")
    pdir = tmp_path / "packages"
    for version in ("1.0b1", "1.0", "1.10", "1.9"):
        build = build_package(tmp_path / "b", "tr", "en", version=version)
        with zipfile.ZipFile(build) as zf:  # side by side, as argospm can leave them
            zf.extractall(pdir)
    route = tr.find_route("tr", tr.list_packages(pdir))
    assert [p.version for p in route] == ["1.10"]


def test_incomplete_old_layout_names_what_is_missing(layouts, tmp_path):
    src = layouts["ct2-2-sp-stanza-flatzip"]
    bad = tmp_path / "bad.argosmodel"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            if not info.filename.endswith("shared_vocabulary.txt"):
                zout.writestr(info, zin.read(info.filename))
    with pytest.raises(tr.PackageError, match="missing model/shared_vocabulary") as err:
        tr.install_package(bad, tmp_path / "packages")
    assert str(bad) in str(err.value)

"""Every setting of the pipeline in one place.

Precedence: explicit keyword (CLI flag) > environment variable ``ARTICLES_<NAME>`` > default.
``Settings`` is a frozen dataclass, so it can be passed to Prefect tasks and Dask workers as is.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "ARTICLES_"


def default_argos_packages_dir() -> Path:
    """Where Argos Translate itself keeps packages, so ``argospm`` and we see the same ones
    (``ARGOS_PACKAGES_DIR``, else Argos' settings.json, else its data directory)."""
    from tasks.argos_packages import default_packages_dir

    return default_packages_dir()


def default_cache_dir() -> Path:
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "news-articles-pipeline"


@dataclass(frozen=True, slots=True)
class Settings:
    # --- input / output
    raw_dir: Path = Path("raw")
    out_dir: Path = Path("processed")
    max_file_bytes: int = 20 * 1024 * 1024  # larger files are quarantined (too_large)
    # incremental runs: a file with the size and mtime of its row is unchanged without reading
    # it (false: hash every file's bytes)
    trust_mtime: bool = True
    # --- batching: a task handles a batch; the run creates at most ~max_batches batches
    # 1,000 files per batch up to 100k files (two task runs per batch: scan and process),
    # larger batches beyond: memory in flight grows with the batch, so a fixed size keeps a
    # 100k run as lean as a 10k one.
    batch_size: int = 1000
    max_batches: int = 100
    # worker processes for the batch work (the stages are CPU-bound Python): 0 = one per core
    processes: int = 0
    # --- cleaning
    repeated_line_min_docs: int = 3  # a line must appear in at least this many docs of a site
    repeated_line_min_share: float = 0.3  # ...and in at least this share of the site's docs
    # --- language
    expected_languages: tuple[str, ...] = ("en", "az", "ru", "tr")
    lang_seed: int = 0
    # --- translation
    translate: bool = True
    target_language: str = "en"
    argos_packages_dir: Path = field(default_factory=default_argos_packages_dir)
    cache_dir: Path = field(default_factory=default_cache_dir)
    # decoding: Argos' own (argostranslate.translate.apply_packaged_translation) by default, so
    # a user who switches from Argos gets the same English; beam_size 1 or 2 is the opt-in
    # faster mode (README "Translation models" has its measured cost)
    beam_size: int = 4
    length_penalty: float = 0.2
    max_decoding_length: int = 256  # CTranslate2's default, which Argos uses
    max_batch_tokens: int = 1024  # source tokens per CTranslate2 batch (batch_type "tokens")
    inter_threads: int = 2
    intra_threads: int = 1
    compute_type: str = "default"  # the package's own type (int8 for index packages), as Argos
    device: str = "cpu"
    # --- pipeline version recorded in every row
    # 0.2.0: source_size_bytes, source_mtime_ns columns; 0.3.0: quarantine source_mtime_ns,
    # duplicate_of; 0.4.0: source_path_bytes, duplicate_of_bytes (names that are not UTF-8)
    pipeline_version: str = "0.4.0"

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Defaults, then ``ARTICLES_*`` environment variables, then non-None ``overrides``."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            env = os.environ.get(ENV_PREFIX + f.name.upper())
            if env is not None and env != "":
                values[f.name] = _parse(f.name, env)
        for key, value in overrides.items():
            if value is None:
                continue
            if key not in {f.name for f in fields(cls)}:
                raise TypeError(f"unknown setting {key!r}")
            values[key] = value
        settings = cls(**values)
        return settings.normalised()

    def normalised(self) -> Settings:
        return dataclasses.replace(
            self,
            raw_dir=Path(self.raw_dir),
            out_dir=Path(self.out_dir),
            argos_packages_dir=Path(self.argos_packages_dir),
            cache_dir=Path(self.cache_dir),
            expected_languages=tuple(self.expected_languages),
        )


def _parse(name: str, raw: str) -> Any:
    default = {f.name: f for f in fields(Settings)}[name]
    kind = default.type
    if kind in ("Path",):
        return Path(raw)
    if kind == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r}: expected true/false")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind.startswith("tuple"):
        return tuple(x.strip() for x in raw.split(",") if x.strip())
    return raw

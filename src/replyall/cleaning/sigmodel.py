"""talon's signature classifier, retrained with current scikit-learn and cached as plain arrays.

Why a shim: talon 1.4.4 ships a pickled LinearSVC made with an old scikit-learn;
loading it needs `sklearn.externals.joblib` and `sklearn.svm.classes`, both gone.
We keep talon's features and training data (talon/signature/data/train.data) and
fit the same model (LinearSVC, C=10) ourselves on first use. A linear SVM is just
a weight vector and a bias, so the cache is an .npz of numbers (no pickle: nothing
executable is loaded from the cache dir), keyed by a hash of the training data
and the feature count. Writes are atomic (temp file + os.replace) so concurrent
workers never read half a file. Nothing here trains or touches disk at import.

talon's sender-name feature is rebuilt here too: talon joins the sender's names from
a set, and only the last one lacks its word-end guard, so which name may match inside
a word depended on the process's hash seed, and two processes (a worker and a
reindex) could split the same message differently.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import re
import sys
import tempfile
import threading
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SignatureModel", "default_cache_dir", "load_model", "train_data_path", "ml_signature_lines"]

_LOCK = threading.Lock()
_MODELS: dict[Path, "SignatureModel"] = {}
_ASKED: dict[tuple, Path] = {}


def default_cache_dir() -> Path:
    """$REPLYALL_CACHE_DIR, else $XDG_CACHE_HOME/replyall, else ~/.cache/replyall."""
    explicit = os.environ.get("REPLYALL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "replyall"


def _talon_signature() -> types.ModuleType:
    """Import talon.signature, aliasing the joblib module its classifier module expects."""
    if "sklearn.externals.joblib" not in sys.modules:
        import joblib
        import sklearn.externals

        # talon/signature/learning/classifier.py does `from sklearn.externals import joblib`;
        # scikit-learn removed that alias in 0.23. We never use talon's loader, only its import.
        sklearn.externals.joblib = joblib  # type: ignore[attr-defined]
        sys.modules["sklearn.externals.joblib"] = joblib
    return importlib.import_module("talon.signature")


def train_data_path() -> Path:
    """The training data talon ships (one row per line: 12 features, then the label)."""
    import talon

    return Path(talon.__file__).parent / "signature" / "data" / "train.data"


@dataclass(frozen=True)
class SignatureModel:
    """A fitted linear classifier: a line is signature when x . coef + intercept > 0."""

    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(x) @ self.coef + self.intercept) > 0


def _fit(data_file: Path) -> SignatureModel:
    from sklearn.svm import LinearSVC

    table = np.genfromtxt(data_file, delimiter=",")
    x, y = table[:, :-1], table[:, -1]
    clf = LinearSVC(C=10.0, max_iter=20000, random_state=0)  # talon's classifier.init()
    clf.fit(x, y)
    # classes_ is sorted: [-1, 1]; decision_function > 0 means class 1 (signature).
    return SignatureModel(coef=clf.coef_[0].astype(float), intercept=float(clf.intercept_[0]))


def _cache_file(cache_dir: Path, data_file: Path) -> Path:
    digest = hashlib.sha256(data_file.read_bytes()).hexdigest()[:16]
    return cache_dir / f"talon-signature-{digest}.npz"


def _save(model: SignatureModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sigmodel-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, coef=model.coef, intercept=np.array([model.intercept]))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path, features: int) -> SignatureModel | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            coef, intercept = npz["coef"], npz["intercept"]
    except (OSError, ValueError, KeyError):
        return None  # missing or corrupt: retrain
    if coef.shape != (features,) or intercept.shape != (1,):
        return None
    return SignatureModel(coef=coef.astype(float), intercept=float(intercept[0]))


def load_model(cache_dir: Path | None = None, data_file: Path | None = None) -> SignatureModel:
    """The cached model, training and caching it first if needed (once per process)."""
    env = os.environ
    asked = (cache_dir, data_file, env.get("REPLYALL_CACHE_DIR"), env.get("XDG_CACHE_HOME"), env.get("HOME"))
    known = _ASKED.get(asked)  # called per message: skip the path work when nothing changed
    model = _MODELS.get(known) if known is not None else None
    if model is not None:
        return model
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    data_file = Path(data_file) if data_file is not None else train_data_path()
    key = (cache_dir / data_file.name).resolve()
    with _LOCK:
        _ASKED[asked] = key
        model = _MODELS.get(key)
        if model is not None:
            return model
        path = _cache_file(cache_dir, data_file)
        features = len(data_file.open().readline().split(",")) - 1
        model = _read(path, features)
        if model is None:
            model = _fit(data_file)
            try:
                _save(model, path)
            except OSError:
                pass  # a read-only cache still lets this process work
        _MODELS[key] = model
        return model


def ml_signature_lines(lines: list[str], sender: str, model: SignatureModel) -> int:
    """How many trailing lines of `lines` talon's classifier calls a signature (0 if none).

    Mirrors talon.signature.extraction.extract (candidate lines, per-line features,
    the reversed-marker regex) but with our model and on our lines, so the caller
    knows exactly which lines moved.
    """
    sig = _talon_signature()
    from talon.signature import bruteforce
    from talon.signature.learning import featurespace

    body = "\n".join(lines)
    names = _sender_names(sender or "")
    if not _has_signature(body.strip(), names):
        return 0
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    candidate = bruteforce.get_signature_candidate(lines)
    if not candidate:
        return 0
    # talon's features, with its contains_sender_names (the last) swapped for ours: built
    # for no sender, talon's compiles nothing we would throw away.
    feats = featurespace.features("")
    feats[-1] = names
    markers = ["t"] * len(lines)
    offset = len(lines) - len(candidate)
    for i, line in enumerate(candidate):
        if not line.strip():
            markers[offset + i] = "e"
        elif model.predict(np.array(featurespace.build_pattern(line, feats), dtype=float))[0]:
            markers[offset + i] = "s"
    m = sig.extraction.RE_REVERSE_SIGNATURE.match("".join(markers)[::-1])
    if not m:
        return 0
    n = m.end()
    if not any(line.strip() for line in lines[: len(lines) - n]):
        return 0  # talon keeps a body that would be all signature
    return n


def _sender_names(sender: str):
    """1 when a line holds one of the sender's names (talon's contains_sender_names, in a fixed order).

    talon: "Sergey N. Obukhov <serobnic@mail.ru>" -> Sergey, Obukhov, serobnic, each
    as written and capitalised, followed by a space or the end of the line.
    """
    prog = _names_pattern(sender)
    if prog is None:
        return lambda line: 0
    return lambda line: 1 if prog.search(line) else 0


@functools.lru_cache(maxsize=4096)
def _names_pattern(sender: str) -> re.Pattern[str] | None:
    # Built once per sender: a reply-all storm is many messages from few people.
    from talon.signature.learning import helpers

    names = sorted(helpers.extract_names(sender))
    if names:
        return re.compile("|".join(re.escape(v) + "(?: |$)" for e in names for v in (e, e.capitalize())))
    return re.compile(re.escape(sender)) if sender else None


def _has_signature(body: str, names) -> bool:
    """talon's helpers.has_signature with the deterministic name feature."""
    from talon.signature.constants import SIGNATURE_MAX_LINES
    from talon.signature.learning import helpers

    candidate = [line for line in body.splitlines() if line.strip()][-SIGNATURE_MAX_LINES:]
    upvotes = 0
    for line in candidate:
        # talon: lines of the sender's name, phone, e-mail and web address are short
        if len(line.strip()) > 27:
            continue
        if names(line):
            return True
        if (helpers.RE_RELAX_PHONE.search(line) is not None) + (helpers.RE_EMAIL.search(line) is not None) \
                + (helpers.RE_URL.search(line) is not None) == 1:
            upvotes += 1
    return upvotes > 1

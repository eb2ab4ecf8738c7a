"""A PEP 517 build backend for this one pure-Python package: a wheel is a zip file with the package,
its metadata and a RECORD of hashes (PEP 427), which the standard library can write."""

import base64
import hashlib
import io
import os
import tarfile
import zipfile

NAME = "tokenkeeper_client"
DIST = "tokenkeeper-client"
VERSION = "0.1.0"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _metadata() -> str:
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as readme:
        description = readme.read()
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
            "Summary: Ask a tokenkeeper daemon for a fresh token; on an upstream 401, report it and retry once.\n"
            "License: Apache-2.0\nRequires-Python: >=3.9\n"
            "Provides-Extra: requests\nRequires-Dist: requests; extra == \"requests\"\n"
            "Provides-Extra: httpx\nRequires-Dist: httpx; extra == \"httpx\"\n"
            "Description-Content-Type: text/markdown\n\n%s" % (DIST, VERSION, description))


def _package_files():
    for name in sorted(os.listdir(os.path.join(HERE, NAME))):
        if name.endswith(".py"):
            yield NAME + "/" + name, os.path.join(HERE, NAME, name)


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_name = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    info = "%s-%s.dist-info" % (NAME, VERSION)
    entries = [(arcname, open(path, "rb").read()) for arcname, path in _package_files()]
    entries.append((info + "/METADATA", _metadata().encode("utf-8")))
    entries.append((info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: tokenkeeper wheelmaker\n"
                                     b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    record = "".join("%s,%s,%d\n" % (name, _digest(data), len(data)) for name, data in entries)
    record += info + "/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries:
            wheel.writestr(name, data)
        wheel.writestr(info + "/RECORD", record)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, VERSION)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as sdist:
        for relative in ["pyproject.toml", "README.md", "_backend/wheelmaker.py"] + [a for a, _ in _package_files()]:
            sdist.add(os.path.join(HERE, relative), arcname=base + "/" + relative)
        info = _metadata().encode("utf-8")
        member = tarfile.TarInfo(base + "/PKG-INFO")
        member.size = len(info)
        sdist.addfile(member, io.BytesIO(info))
    return name

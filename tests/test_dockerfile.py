"""The image, checked by reading its Dockerfile: the suite runs where there is no container engine.
What its commands do is tested where they run anyway (settings, `serve`, `release_notes`)."""

import re

from fakes.servers import PROJECT_DIR

DOCKERFILE = (PROJECT_DIR / "Dockerfile").read_text()
MAKEFILE = (PROJECT_DIR / "Makefile").read_text()


def _served_stage() -> str:
    """The last stage: the image that runs."""
    return DOCKERFILE.rsplit("\nFROM ", 1)[1]


def test_the_image_installs_the_pinned_uv_that_make_installs() -> None:
    [image_uv] = re.findall(r"pip install [^\n]*\buv==(\d+\.\d+\.\d+)\n", DOCKERFILE)
    [make_uv] = re.findall(r"^UV_VERSION = (\S+)$", MAKEFILE, flags=re.MULTILINE)

    assert image_uv == make_uv


def test_the_served_image_has_git_for_release_notes() -> None:
    assert re.search(r"apt-get install [^\n]*\bgit\b", _served_stage())


def test_the_containers_serve_without_migrating_as_they_start() -> None:
    [command] = re.findall(r"^CMD (.*)$", DOCKERFILE, flags=re.MULTILINE)

    assert "manage.py serve --no-migrate " in command


def test_the_app_folder_is_the_services_own_so_it_can_write_its_cache_there() -> None:
    served = _served_stage()
    owned = re.search(r"install --directory --owner kraken --group kraken /app\n", served)

    assert owned is not None
    assert owned.start() < served.index("WORKDIR /app"), "WORKDIR would create it as root's"

"""Real git repositories built in a test's `tmp_path`, with fixed identities and dates so that
every run makes the same commits. Sync helpers: call them from sync tests or fixtures, never from
inside the event loop."""

import datetime as dt
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

_EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._ticks = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *arguments: str, author: str = "Ana Lima", stdin: bytes | None = None) -> str:
        self._ticks += 1
        when = (_EPOCH + dt.timedelta(minutes=self._ticks)).isoformat()
        email = f"{author.split()[0].lower()}@example.com"
        environment = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        completed = subprocess.run(
            ["git", *arguments],  # noqa: S607 - git from the PATH, as the command runs it
            cwd=self.path,
            env=environment,
            input=stdin,
            capture_output=True,
            check=True,
        )
        return completed.stdout.decode().strip()

    def commit(self, message: str, *, author: str = "Ana Lima") -> str:
        """Commit a change to a file named after the commit's number; return its sha."""
        changed = self.path / f"file-{self._ticks}.txt"
        changed.write_text(message)
        self.git("add", changed.name, author=author)
        self.git("commit", "--quiet", "-m", message, author=author)
        return self.sha("HEAD")

    def commit_files(self, message: str, files: Mapping[str, str | None]) -> str:
        """Write each file (creating its folders; None deletes it) and commit every change in the
        work tree; return the commit's sha."""
        for name, text in files.items():
            path = self.path / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", message)
        return self.sha("HEAD")

    def blob_id(self, path: str, *, ref: str = "HEAD") -> str:
        return self.sha(f"{ref}:{path}")

    def revert(self, sha: str, *, author: str = "Ana Lima") -> str:
        self.git("revert", "--no-edit", sha, author=author)
        return self.sha("HEAD")

    def sha(self, ref: str) -> str:
        return self.git("rev-parse", ref)


def sample_repository(path: Path) -> GitRepo:
    """A release v1.0.0..v1.1.0 with every kind of history the notes handle: Conventional Commit
    prefixes and none, a co-author, a pull request merged with a merge commit, a commit reverted
    and reverted back, and a commit reverted for good."""
    repo = GitRepo(path)
    repo.commit("chore: initial commit")
    repo.git("tag", "v1.0.0")
    repo.commit("feat(search): rank titles higher")
    repo.commit("fix: empty mentions crashed the bot\n\nCo-authored-by: Bo Chen <bo@example.com>")
    repo.commit("Tidy up the settings module", author="Cy Park")
    dark_mode = repo.commit("feat: add a dark mode", author="Dee Roy")
    repo.revert(repo.revert(dark_mode))
    repo.revert(repo.commit("feat: an experimental flag", author="Dee Roy"))
    repo.git("checkout", "--quiet", "-b", "eve/threads")
    repo.commit("Answer in the thread of the question", author="Eve Ng")
    repo.commit("Keep the thread when retrying", author="Eve Ng")
    repo.git("checkout", "--quiet", "main")
    repo.commit("docs: explain Socket Mode", author="Cy Park")
    repo.git(
        "merge",
        "--quiet",
        "--no-ff",
        "-m",
        "Merge pull request #42 from eve/threads",
        "-m",
        "Answer questions in threads",
        "eve/threads",
    )
    repo.git("tag", "v1.1.0")
    return repo


def clone(source: GitRepo, path: Path, *, depth: int | None = None) -> Path:
    """A clone of the source; with a depth, of its last `depth` commits only, as CI checks out by
    default."""
    shallow = [f"--depth={depth}"] if depth is not None else []
    # Cloning a plain path copies the whole history whatever the depth; a file:// URL does not.
    source.git("clone", "--quiet", *shallow, source.path.as_uri(), str(path))
    return path


def long_repository(path: Path, *, commits: int) -> GitRepo:
    """A repository of many commits, written at once with `git fast-import`."""
    repo = GitRepo(path)
    kinds = ("feat: add option", "fix: repair case", "chore: tidy module", "Update file")
    stream = []
    for number in range(1, commits + 1):
        message = f"{kinds[number % len(kinds)]} {number}\n".encode()
        content = f"{number}\n".encode()
        when = int(_EPOCH.timestamp()) + number
        stream += [
            b"commit refs/heads/main\n",
            f"mark :{number}\n".encode(),
            f"committer Ana Lima <ana@example.com> {when} +0000\n".encode(),
            f"data {len(message)}\n".encode() + message,
            *([f"from :{number - 1}\n".encode()] if number > 1 else []),
            f"M 644 inline file-{number % 50}.txt\n".encode(),
            f"data {len(content)}\n".encode() + content,
            b"\n",
        ]
    repo.git("fast-import", "--quiet", stdin=b"".join(stream))
    repo.git("checkout", "--quiet", "main")
    return repo

"""The suite's fixtures; the rules for every test are in the repository's conftest.py."""

pytest_plugins = [
    "tests.job_fixtures",
    "tests.slack_fixtures",
    "tests.llm_fixtures",
    "tests.browser_fixtures",
    "tests.real_model_fixtures",
]

import pytest


@pytest.fixture
def indexed(django_capture_on_commit_callbacks):
    """Run the index's on-commit updates of what the block does, as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run

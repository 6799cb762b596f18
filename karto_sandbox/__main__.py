from karto_sandbox.cli import sandbox

sandbox(prog_name="python -m karto_sandbox")

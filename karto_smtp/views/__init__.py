"""Views of a Plan: text (terminal), Markdown (pull requests), JSON (machines)."""

"""GitHub integration: Actions workflow commands and files, and a sticky pull-request comment.

actions.py   annotations, the step summary and step outputs (formatting and file appends only)
api.py       a small GitHub REST client over httpx (issue comments and issues)
comment.py   one sticky plan comment per pull request, one drift issue per project
fit.py       shortening a Markdown plan to a size limit, keeping it well-formed
"""

"""GitHub integration: Actions workflow commands and files, the pull request's record, lookups.

actions.py   annotations, the step summary and step outputs (formatting and file appends only)
api.py       a small GitHub REST client over httpx (comments, issues, commits, events, runs)
approval.py  the review label that approves a replace (gridsync:allow-replace, not by the author)
comment.py   one sticky comment per pull request (the record), one drift issue per project
context.py   what a run says about itself: the event payload, the commit, the run's URL
fit.py       shortening a Markdown plan to a size limit, keeping it well-formed
review.py    the merged pull request of a commit, its reviewed plan, the trusted snapshot run
"""

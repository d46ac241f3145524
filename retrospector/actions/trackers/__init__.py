"""A recommendation's issue in GitHub or Jira, kept in step both ways.

`github` and `jira` talk to the trackers (one interface: create_issue, fetch_state, push, parse_webhook); `sync`
holds the writes (connections, linking, pushing our changes, applying theirs); `tasks` is the worker's side; the
pages are in `views`. Nothing here calls a tracker while answering its webhook.
"""

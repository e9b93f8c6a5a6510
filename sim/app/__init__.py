"""``ccsim app``: the trainer's live page (model, views, server and static page)."""

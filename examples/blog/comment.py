"""Add a comment from the command line: the open pages of the post show it at once.

    uv run --all-packages examples/blog/comment.py "Nice post" [--author Ann] [--post welcome]

A plain ``save()``, outside any web request. When the app runs behind Redis
(``NITRO_REDIS_URL``), ``publish_changes`` sends this process's changes there, and
every instance of the app patches its open pages.
"""

import argparse
import os

from blog import Comment

from nitro.actions import publish_changes

parser = argparse.ArgumentParser(description="Comment on a blog post.")
parser.add_argument("text")
parser.add_argument("--author", default="script")
parser.add_argument("--post", default="welcome")
parser.add_argument("--delete", action="store_true", help="delete the comments with this text")
args = parser.parse_args()

broadcaster = None
if url := os.environ.get("NITRO_REDIS_URL"):
    from nitro.redis import RedisBroadcaster

    broadcaster = RedisBroadcaster(url)
    publish_changes(broadcaster, Comment)

if args.delete:
    for comment in Comment.filter(post_id=args.post, text=args.text):
        comment.delete()
else:
    Comment(post_id=args.post, author=args.author, text=args.text).save()

if broadcaster is not None:
    broadcaster.close()  # sends what is still queued

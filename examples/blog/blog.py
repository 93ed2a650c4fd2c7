"""The blog's domain: posts, their comments, and the live comment thread.

Shared by the web app (app.py) and by scripts (comment.py): a comment saved anywhere
reaches every open page of its post.
"""

from datetime import UTC, datetime

from pydantic import Field

from nitro.actions import LiveList, action
from nitro.actions.ws_page import ws_action
from nitro.specification import FieldEquals
from nitro.sql import SQLEntity
from rusty_tags import B, Button, Li, Span, Ul


class Post(SQLEntity, table=True):
    title: str
    body: str = ""

    @action(method="POST")
    def comment(self, author: str = "", text: str = "") -> dict:
        """Add a comment; every tab showing this post gets it through the thread."""
        if not (author.strip() and text.strip()):
            return {"error": "Give a name and a comment"}
        Comment(post_id=self.id, author=author.strip(), text=text.strip()).save()
        return {"text": "", "error": ""}


class Comment(SQLEntity, table=True):
    post_id: str = Field(index=True)
    author: str
    text: str
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @action(method="DELETE")
    def remove(self) -> None:
        self.delete()  # the thread of every open tab drops the row


def render_comment(comment: Comment):
    delete = Button("delete", cls="delete", data_on_click=Comment.remove.of(comment)())
    return [B(comment.author), Span(": ", comment.text, cls="text"), delete]


def render_comment_ws(comment: Comment):
    """A row for pages on the WebSocket transport: its button sends over the socket."""
    delete = Button("delete", cls="delete", data_on_click=ws_action(Comment.remove.of(comment)))
    return [B(comment.author), Span(": ", comment.text, cls="text"), delete]


#: The comments of one post, oldest first, kept current on every page showing them.
thread = LiveList(
    Comment,
    name="thread",
    where=lambda post: FieldEquals("post_id", post),
    order_by="created",
    render=render_comment,
    container=Ul,
    item=Li,
)

#: The same thread for pages using one WebSocket (app.py --transport ws).
thread_ws = LiveList(
    Comment,
    name="thread-ws",
    where=lambda post: FieldEquals("post_id", post),
    order_by="created",
    render=render_comment_ws,
    container=Ul,
    item=Li,
)

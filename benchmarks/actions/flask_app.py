"""Flask app with the counter's increment twice: as an @action and by hand.

``POST /counter/<id>/increment?amount=N`` is Nitro's route (``configure_app``);
``POST /hand/counter/<id>/increment?amount=N`` does the same work written as a plain
Flask view: get the entity, increment, save, answer its JSON (the same body).
"""

from counter import Counter
from flask import Flask, abort, request

from nitro.adapters.flask import configure_app

app = Flask(__name__)
configure_app(app)


@app.post("/hand/counter/<counter_id>/increment")
def hand_increment(counter_id: str) -> dict:
    counter = Counter.get(counter_id)
    if counter is None:
        abort(404)
    amount = request.args.get("amount", 1, type=int)
    counter.increment(amount)
    counter.save()
    return {"result": None, "entity": counter.model_dump(mode="json")}

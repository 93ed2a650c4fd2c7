"""FastAPI app with the counter's increment twice: as an @action and by hand.

``POST /counter/{id}/increment?amount=N`` is Nitro's route (``configure_app``);
``POST /hand/counter/{id}/increment?amount=N`` does the same work written as a plain
FastAPI endpoint: get the entity, increment, save, answer its JSON (the same body).
"""

from counter import Counter
from fastapi import FastAPI, HTTPException

from nitro.adapters.fastapi import configure_app

app = FastAPI()
configure_app(app)


@app.post("/hand/counter/{counter_id}/increment")
async def hand_increment(counter_id: str, amount: int = 1) -> dict:
    counter = await Counter.aget(counter_id)
    if counter is None:
        raise HTTPException(404, "Counter not found")
    counter.increment(amount)
    await counter.asave()
    return {"result": None, "entity": counter.model_dump(mode="json")}

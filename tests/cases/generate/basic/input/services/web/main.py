from fastapi import FastAPI

app = FastAPI(title="web")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}

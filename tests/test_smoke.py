from tests.support.api import Api


def test_requester_creates_and_provider_accepts(api: Api) -> None:
    created = api.create("r1", purpose="Discuss the MRI")
    assert created["status"] == "pending"
    assert created["awaiting"]["name"] == "Paul Provider"
    accepted = api.act("p1", created["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["awaiting"] is None

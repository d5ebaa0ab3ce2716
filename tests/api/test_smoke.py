from tests.api.helpers import World


def test_upload_and_read(world: World) -> None:
    response = world.upload("alice")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["evaluation"]["status"] == "queued"
    assert len(world.dispatcher.jobs) == 1
    request, queue = world.dispatcher.jobs[0]
    assert queue == "cpu" and request.evaluation_id == body["evaluation"]["id"]
    got = world.client.get(f"/api/v1/submissions/{body['id']}", headers=world.as_("alice"))
    assert got.status_code == 200
    assert world.client.get(f"/api/v1/submissions/{body['id']}",
                            headers=world.as_("bob")).status_code == 404

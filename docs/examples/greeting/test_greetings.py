from messages import GreetRequest, GreetResponse, TitleRequest, TitleResponse


def test_a_greeting_goes_through_the_chain_in_one_session(iop_production):
    assert iop_production.send("Greeter", GreetRequest(name="Ada")) == GreetResponse(text="Hello Countess Ada")
    session = iop_production.wait_session(iop_production.messages(target="Greeter")[0].session_id)
    assert session.path == [("Request", "EnsLib.Testing.Service", "Greeter"), ("Request", "Greeter", "Titles"),
                            ("Response", "Titles", "Greeter"), ("Response", "Greeter", "EnsLib.Testing.Service")]
    assert {hop.status for hop in session.hops} == {"Completed"}


def test_the_process_with_a_fake_operation(iop_production):
    with iop_production.fake("Titles") as titles:
        titles.answer(TitleResponse(title="Prof"))
        assert iop_production.send("Greeter", GreetRequest(name="Grace")).text == "Hello Prof Grace"
    assert titles.requests == [TitleRequest(name="Grace")]


def test_a_setting_changed_for_one_test(iop_production):
    with iop_production.override("Greeter", settings={"greeting": "Good evening"}):
        assert iop_production.send("Front", GreetRequest(name="Alan")).text == "Good evening Dr Alan"
    assert iop_production.send("Front", GreetRequest(name="Alan")).text == "Hello Dr Alan"

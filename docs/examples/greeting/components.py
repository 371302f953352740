from iop import BusinessOperation, BusinessProcess, BusinessService

from messages import GreetRequest, GreetResponse, TitleRequest, TitleResponse


class GreetService(BusinessService):
    """Hands what it gets to the Greeter."""

    def on_process_input(self, request: GreetRequest) -> GreetResponse:
        return self.send_request_sync("Greeter", request)


class GreeterProcess(BusinessProcess):
    """Asks Titles for the person's title, then greets them."""

    greeting = ""

    def on_greet_request(self, request: GreetRequest) -> GreetResponse:
        title = self.send_request_sync("Titles", TitleRequest(name=request.name))
        return GreetResponse(text=f"{self.greeting or 'Hello'} {title.title} {request.name}")


class TitleOperation(BusinessOperation):
    """Looks a title up (a real one would ask a directory service)."""

    TITLES = {"Ada": "Countess", "Alan": "Dr"}

    def on_title_request(self, request: TitleRequest) -> TitleResponse:
        return TitleResponse(title=self.TITLES[request.name])

class OrganizationImageHostsMiddleware:
    """Adds the signed-in person's organization's image hosts to the page's Content-Security-Policy (img-src), which
    otherwise allows images from this site only. Runs inside django-csp's middleware, which reads the update."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.organization_id is not None
            and response.get("Content-Type", "").startswith("text/html")
            and "Content-Security-Policy" not in response
        ):
            hosts = user.organization.image_hosts
            if hosts:
                update = dict(getattr(response, "_csp_update", None) or {})
                update["img-src"] = [*update.get("img-src", []), *(f"https://{host}" for host in hosts)]
                response._csp_update = update
        return response

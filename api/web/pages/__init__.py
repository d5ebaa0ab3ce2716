"""The pages over the service: one module of plain functions per feature.

Each function takes the app's `Pages` (`context.py`: sessions, settings, app state) and a
`Viewer`, opens one database session, authorises through `api.deps.membership` (the REST
API's own rule) and returns a view model of `api.web.views`. The queries they need live in
`api/services/`; `api.web.service_pages.ServicePages` binds these functions into the
`api.web.source.PageSource` the routes call.
"""

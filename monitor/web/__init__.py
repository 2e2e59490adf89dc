"""The hall manager's pages: ``/`` (every hall, by risk), ``/halls/{hall}`` (one
hall) and ``/halls/{hall}/screen`` (the wall screen), served by ``hallmon
serve``. Server-rendered HTML shells plus plain ES modules under ``static/``
that poll the documented ``/v1`` JSON API; nothing is built at install time and
nothing is fetched from elsewhere (the chart library is vendored)."""

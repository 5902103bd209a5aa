"""wsdeploy's local AWS: moto's server, completed for WebSocket deployments and
made to fail the way AWS does.

Layout (each module opens with what it is responsible for):

- ``__main__``   command line: start the server on 127.0.0.1, print ``ready``.
- ``settings``   the fault settings, their validation and the named profiles.
- ``state``      everything the emulator remembers besides moto's backends:
                 current faults, call log, quota buckets, resource clocks.
- ``classify``   which service and AWS operation an HTTP request is.
- ``errors``     AWS errors rendered in each service's wire protocol.
- ``pagination`` forces small pages on the list calls the reconciler uses.
- ``middleware`` the WSGI layer in front of moto: control endpoint, faults,
                 call log, response clean-up.
- ``patches``    additions and fixes to moto's models and handlers.
- ``filter_patterns`` CloudWatch Logs filter patterns: parsing, matching.
- ``lambda_logs`` what Lambda writes to CloudWatch Logs when a function runs
                 (the ``lambda-logs`` control endpoint).
"""

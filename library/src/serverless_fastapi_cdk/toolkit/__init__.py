"""The developer toolkit of the library: ``sfcdk new``, ``local``, ``token`` and ``diff`` for any CDK app."""

"""The disaster-recovery drill on the local AWS: deploy, pay, lose the primary, fail over, fail
back, reconcile, measure RTO and RPO, destroy (`python -m payinfra local --drill`)."""

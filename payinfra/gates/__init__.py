"""Static security gate over the rendered templates.

`python -m payinfra.gates [templates...]` runs, per template: `sam validate --lint` on the SAM
source; checkov and the AWS Control Tower cfn-guard rules on the template expanded by
samtranslator (neither tool sees inside SAM resources); and the project's own checks for what all
three miss. Inline `Metadata` waivers need a reason; any unwaived finding fails the gate.
"""

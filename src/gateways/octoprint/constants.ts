/** The OctoPrint API and server versions the gateway answers as: slicers check that the server says "OctoPrint". */
export const OCTOPRINT_API_VERSION = '0.1'
export const OCTOPRINT_SERVER_VERSION = '1.10.0'
